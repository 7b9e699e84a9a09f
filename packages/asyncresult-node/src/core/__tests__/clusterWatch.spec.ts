import { ClusterWatch, type ITaskSource, parseQueues, TaskStore } from '..';
import { fakeSource } from './builders';

function source(reply: () => Promise<unknown>, extra: Partial<ITaskSource> = {}) {
  const asked: string[] = [];
  const src = fakeSource(new TaskStore(), extra, op => {
    asked.push(op);
    return reply();
  });
  return { src, asked };
}

const REPLY = {
  unassigned: 28,
  '1': { queue: 0, completed: 17, tasks: 1 },
  '0': { queue: 2, completed: 5, tasks: 1 }
};

describe('parseQueues', () => {
  it('reads queue_status as ipyparallel gives it, engines in order', () => {
    expect(parseQueues(REPLY)).toEqual({
      engines: [
        { id: 0, busy: 3, completed: 5 },
        { id: 1, busy: 1, completed: 17 }
      ],
      unassigned: 28
    });
    // which controller answered, when the bridge says (asked with `identify`)
    expect(parseQueues({ ...REPLY, controller_id: '0123abcd' }).controllerId).toBe('0123abcd');
    expect(parseQueues(REPLY).controllerId).toBeUndefined();
    expect(() => parseQueues([])).toThrow('not an object');
    expect(() => parseQueues({ x: 1 })).toThrow('bad entry "x"');
  });
});

describe('ClusterWatch', () => {
  it('keeps the last answer, and says why a question failed', async () => {
    let fail = false;
    const { src } = source(() =>
      fail ? Promise.reject(new Error('controller gone')) : Promise.resolve(REPLY)
    );
    const watch = new ClusterWatch(src);
    let changes = 0;
    watch.changed.connect(() => (changes += 1));
    await watch.poll();
    expect(watch.queues!.unassigned).toBe(28);
    fail = true;
    await watch.poll();
    expect(watch.error).toBe('controller gone');
    expect(watch.queues!.unassigned).toBe(28);
    expect(changes).toBe(2);
    watch.dispose();
  });

  it('asks nothing of a source that is not live, or blocked without subshells', async () => {
    for (const extra of [
      { state: 'connecting' as const },
      { busy: true, supportsSubshells: false }
    ]) {
      const { src, asked } = source(() => Promise.resolve(REPLY), extra);
      const watch = new ClusterWatch(src);
      await watch.poll();
      expect(asked).toEqual([]);
      expect(watch.queues).toBeNull();
      watch.dispose();
    }
    // the controller known lost: nothing to ask until the bridge says it is back
    const lost = new TaskStore();
    lost.apply({
      v: 1,
      type: 'snapshot',
      seq: 0,
      clock: 1,
      reply_to: null,
      results: [],
      tasks: [],
      controller: { ok: false, detail: 'the controller has not answered for 10 s' }
    } as any);
    const asking: string[] = [];
    await new ClusterWatch(
      fakeSource(lost, {}, op => {
        asking.push(op);
        return Promise.resolve(REPLY);
      })
    ).poll();
    expect(asking).toEqual([]);
    // busy with subshells: the bridge answers while the cell runs
    const { src, asked } = source(() => Promise.resolve(REPLY), { busy: true });
    await new ClusterWatch(src).poll();
    expect(asked).toEqual(['queue_status']);
  });

  it('asks which controller answers, and keeps its id with the queues', async () => {
    const args: unknown[] = [];
    const src = fakeSource(new TaskStore(), {}, (_op, a) => {
      args.push(a);
      return Promise.resolve({ ...REPLY, controller_id: 'feedc0de' });
    });
    const watch = new ClusterWatch(src);
    await watch.poll();
    expect(args).toEqual([{ identify: true }]);
    expect(watch.queues!.controllerId).toBe('feedc0de');
    watch.dispose();
  });
});
