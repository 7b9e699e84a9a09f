import { Signal } from '@lumino/signaling';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { KernelTransport } from '../kernelTransport';
import { KernelTransports } from '../transports';
import { LastKnown, TabComms } from '../lastKnown';

/** The browser's Storage, in memory. */
class MemoryStorage {
  private _items = new Map<string, string>();
  get length(): number {
    return this._items.size;
  }
  key(i: number): string | null {
    return Array.from(this._items.keys())[i] ?? null;
  }
  getItem(key: string): string | null {
    return this._items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this._items.set(key, value);
  }
  removeItem(key: string): void {
    this._items.delete(key);
  }
}

/** A kernel connection with just what KernelTransport uses. */
class FakeKernel {
  id = 'k1';
  isDisposed = false;
  supportsSubshells = true;
  statusChanged = new Signal<this, string>(this);
  disposed = new Signal<this, void>(this);
  info = Promise.resolve({ language_info: { name: 'python' } });
  comms: FakeComm[] = [];

  createComm(target: string): FakeComm {
    const comm = new FakeComm(target);
    this.comms.push(comm);
    return comm;
  }

  get comm(): FakeComm {
    return this.comms[this.comms.length - 1];
  }
}

let commCount = 0;

class FakeComm {
  constructor(readonly target: string) {}
  readonly commId = `comm-${++commCount}`;
  isDisposed = false;
  opened: any[] = [];
  sent: any[] = [];
  onMsg: (msg: any) => void = () => undefined;
  onClose: (msg: any) => void = () => undefined;
  open(data: any) {
    this.opened.push(data);
    return { done: Promise.resolve() };
  }
  send(data: any) {
    this.sent.push(data);
  }
  close() {
    this.isDisposed = true;
  }
  receive(data: any) {
    this.onMsg({ content: { comm_id: 'c', data } });
  }
}

const snapshot = (seq: number) => snapshotMessage(seq);
const delta = (seq: number, tasks: any[] = []) => deltaMessage(seq, tasks);

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('KernelTransport', () => {
  let kernel: FakeKernel;
  let transport: KernelTransport;

  beforeEach(async () => {
    kernel = new FakeKernel();
    transport = new KernelTransport({ kernel: kernel as any });
    await flush();
  });
  afterEach(() => transport.dispose());

  it('opens one comm to the bridge target asking for a snapshot', () => {
    expect(kernel.comms).toHaveLength(1);
    expect(kernel.comm.target).toBe('jupyterlab-asyncresult');
    expect(kernel.comm.opened[0]).toMatchObject({
      v: 1,
      type: 'snapshot_request'
    });
    expect(transport.state).toBe('connecting');
  });

  it('goes live on the snapshot and applies deltas in order', () => {
    kernel.comm.receive(snapshot(3));
    expect(transport.state).toBe('live');
    kernel.comm.receive(delta(4));
    expect(transport.store.seq).toBe(4);
  });

  it('asks for a snapshot again after a gap in seq', () => {
    kernel.comm.receive(snapshot(0));
    kernel.comm.receive(delta(5));
    expect(kernel.comm.sent).toEqual([expect.objectContaining({ v: 1, type: 'snapshot_request' })]);
    expect(transport.store.seq).toBe(0);
  });

  it('says what was wrong with a malformed message and keeps its state', () => {
    kernel.comm.receive(snapshot(2));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    kernel.comm.receive({ v: 7, type: 'delta' });
    expect(transport.detail).toContain('unsupported protocol version 7');
    expect(transport.store.seq).toBe(2);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('reports a kernel without the bridge when the comm closes unanswered', () => {
    kernel.comm.onClose({});
    expect(transport.state).toBe('unavailable');
    expect(transport.detail).toContain('%load_ext jupyterlab_asyncresult');
  });

  it('forgets everything on a restart and reopens the comm when the kernel is back', async () => {
    kernel.comm.receive(snapshot(1));
    kernel.statusChanged.emit('restarting');
    expect(transport.store.seq).toBe(-1);
    expect(transport.state).toBe('connecting');
    kernel.statusChanged.emit('idle');
    await flush();
    expect(kernel.comms).toHaveLength(2);
    kernel.comm.receive(snapshot(0));
    expect(transport.state).toBe('live');
  });

  it('does not open comms to kernels of other languages', async () => {
    const other = new FakeKernel();
    other.info = Promise.resolve({ language_info: { name: 'R' } });
    const t = new KernelTransport({ kernel: other as any });
    await flush();
    expect(other.comms).toHaveLength(0);
    expect(t.state).toBe('unavailable');
    t.dispose();
  });

  it('says why it waits when the kernel does not answer kernel_info (a cell blocks it)', async () => {
    const busy = new FakeKernel();
    busy.info = new Promise(() => undefined);
    const t = new KernelTransport({ kernel: busy as any, snapshotTimeout: 10 });
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(t.state).toBe('connecting');
    expect(t.detail).toBe(KernelTransport.WAITING_FOR_INFO);
    t.dispose();
  });

  it('says which work a restart lost, and tells its listeners when it is disposed', () => {
    kernel.comm.receive(snapshotMessage(1, [{ ...resultRecord('r1', []) }]));
    expect(transport.lostWork).toBe('');
    kernel.statusChanged.emit('restarting');
    expect(transport.lostWork).toBe('The kernel restarted.');
    let disposed = 0;
    transport.disposed.connect(() => (disposed += 1));
    transport.dispose();
    expect(disposed).toBe(1);
  });

  it('shows the last known state a closed page kept, while the kernel cannot answer (10.12)', async () => {
    const storage = new MemoryStorage();
    // the page before: live, then closed
    const before = new KernelTransport({ kernel: kernel as any, storage: storage as any });
    await flush();
    kernel.comm.receive(
      snapshotMessage(
        7,
        [resultRecord('r1', ['m1', 'm2'], { fname: 'held' })],
        [taskRecord('m1', 'done'), taskRecord('m2', 'running')]
      )
    );
    expect(before.state).toBe('live');
    before.saveLastKnown();
    before.dispose();

    // the page after: the kernel is busy with a cell, kernel_info waits
    const busy = new FakeKernel();
    busy.info = new Promise(() => undefined);
    const after = new KernelTransport({
      kernel: busy as any,
      snapshotTimeout: 10,
      storage: storage as any
    });
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(after.state).toBe('connecting');
    expect(after.detail).toBe(KernelTransport.SHOWING_LAST_KNOWN);
    expect(after.store.result('r1')?.fname).toBe('held');
    expect(after.store.task('m2')?.status).toBe('running');

    // a restart forgets it: that work is gone
    busy.statusChanged.emit('restarting');
    expect(storage.getItem(LastKnown.key('k1'))).toBeNull();
    after.dispose();
  });

  it('names the comms the earlier page of this tab left open, and only those', async () => {
    const tab = new MemoryStorage();
    // the page before this one, in the same tab, opened these
    tab.setItem(TabComms.key('k1'), JSON.stringify(['old-1', 'old-2']));
    const page = new KernelTransport({ kernel: kernel as any, tabStorage: tab as any });
    await flush();
    expect(kernel.comm.opened[0].replaces).toEqual(['old-1', 'old-2']);
    expect(JSON.parse(tab.getItem(TabComms.key('k1'))!)).toEqual([kernel.comm.commId]);
    page.dispose();

    // a page that was not a reload (a duplicated tab, whose copy of the
    // session storage names its origin's live comms) starts from none
    TabComms.forgetAll(tab as any);
    expect(tab.getItem(TabComms.key('k1'))).toBeNull();
    TabComms.remember(tab as any, 'k1', kernel.comm.commId);

    // a new comm of this same page (after a restart, say) names none of its own
    const again = new KernelTransport({ kernel: kernel as any, tabStorage: tab as any });
    await flush();
    expect(kernel.comm.opened[0].replaces).toBeUndefined();
    again.dispose();
  });

  it('keeps its state for other pages while it changes, not only when the page goes', async () => {
    const storage = new MemoryStorage();
    const live = new KernelTransport({ kernel: kernel as any, storage: storage as any });
    await flush();
    jest.useFakeTimers();
    try {
      kernel.comm.receive(
        snapshotMessage(
          2,
          [resultRecord('r1', ['m1'], { fname: 'f' })],
          [taskRecord('m1', 'running')]
        )
      );
      expect(storage.getItem(LastKnown.key('k1'))).toBeNull();
      jest.advanceTimersByTime(KernelTransport.SAVE_EVERY);
      // a second tab, opened while a cell blocks, would show this
      expect(LastKnown.load(storage as any, 'k1')?.seq).toBe(2);
    } finally {
      jest.useRealTimers();
      live.dispose();
    }
  });

  it('does not build a state again that was too big to keep, until the store shrinks', () => {
    const storage = new MemoryStorage();
    // about 3 MB as JSON, past MAX_CHARS (ipyparallel's msg_ids are this long)
    const ids = Array.from(
      { length: 12000 },
      (_, i) => `6349cd1e-ccaafa9b6c2668903f901800_21939_${i}-of-a-long-run`
    );
    const store = transport.store;
    store.apply(
      snapshotMessage(
        1,
        [resultRecord('big', ids)],
        ids.map(id => taskRecord(id, 'done'))
      )
    );
    storage.setItem(LastKnown.key('k1'), 'an older, smaller state');
    const reads = jest.spyOn(store, 'task');
    LastKnown.save(storage as any, 'k1', store);
    // too big: dropped, and what was kept before goes too (it is stale)
    expect(storage.getItem(LastKnown.key('k1')) === null).toBe(true);
    expect(reads).toHaveBeenCalledTimes(ids.length);

    // the next saves, while the run goes on, do not build it again
    reads.mockClear();
    LastKnown.save(storage as any, 'k1', store);
    LastKnown.save(storage as any, 'k1', store);
    expect(reads).not.toHaveBeenCalled();

    // once the big result is gone, the state is kept again
    store.apply(
      deltaMessage(2, [taskRecord('s1', 'done')], [resultRecord('small', ['s1'])], ['big'])
    );
    LastKnown.save(storage as any, 'k1', store);
    expect(reads).toHaveBeenCalled();
    expect(LastKnown.load(storage as any, 'k1')?.results.map(r => r.id)).toEqual(['small']);
    reads.mockRestore();
  });

  it('tells the user when a snapshot does not come, and why', async () => {
    const slow = new FakeKernel();
    slow.supportsSubshells = false;
    const t = new KernelTransport({ kernel: slow as any, snapshotTimeout: 10 });
    await new Promise(resolve => setTimeout(resolve, 30));
    expect(t.detail).toContain('no subshells');
    t.dispose();
  });

  it('closes its comm when disposed', () => {
    const comm = kernel.comm;
    transport.dispose();
    expect(comm.isDisposed).toBe(true);
  });
});

describe('KernelTransport requests', () => {
  let kernel: FakeKernel;
  let transport: KernelTransport;

  beforeEach(async () => {
    kernel = new FakeKernel();
    transport = new KernelTransport({ kernel: kernel as any });
    await flush();
    kernel.comm.receive(snapshot(0));
  });
  afterEach(() => transport.dispose());

  it('sends a request and resolves with the matching reply', async () => {
    const answer = transport.request('queue_status', { targets: [0] });
    const sent = kernel.comm.sent[0];
    expect(sent).toMatchObject({ v: 1, type: 'request', op: 'queue_status', targets: [0] });
    kernel.comm.receive({ v: 1, type: 'reply', reply_to: 'someone-else', value: 0 });
    kernel.comm.receive({
      v: 1,
      type: 'reply',
      reply_to: sent.request_id,
      value: { unassigned: 0 }
    });
    await expect(answer).resolves.toEqual({ unassigned: 0 });
  });

  it("rejects with the bridge's error for that request", async () => {
    const answer = transport.request('abort', { result_id: 'r1' });
    kernel.comm.receive({
      v: 1,
      type: 'error',
      reply_to: kernel.comm.sent[0].request_id,
      error: "abort: unknown result id 'r1'"
    });
    await expect(answer).rejects.toThrow("abort: unknown result id 'r1'");
  });

  it('rejects with a TimeoutError when the kernel does not answer', async () => {
    await expect(transport.request('queue_status', {}, 0.01)).rejects.toThrow(
      'queue_status: no answer from the kernel in 0.01 s'
    );
  });

  it('rejects pending requests when the kernel restarts, never hanging', async () => {
    const answer = transport.request('get_value', { result_id: 'r1' });
    kernel.statusChanged.emit('restarting');
    await expect(answer).rejects.toThrow('connection to the kernel lost: the kernel restarted');
  });

  it('rejects pending requests when disposed, and new ones at once', async () => {
    const answer = transport.request('get_value', { result_id: 'r1' });
    transport.dispose();
    await expect(answer).rejects.toThrow('the panel closed');
    await expect(transport.request('queue_status')).rejects.toThrow('no open connection');
  });
});

/** A panel's session context with just what KernelTransports uses. */
class FakeContext {
  constructor(kernel: FakeKernel) {
    this.session = { kernel };
  }
  name = 'a.ipynb';
  path = 'a.ipynb';
  isDisposed = false;
  session: { kernel: FakeKernel | null };
  kernelChanged = new Signal<this, unknown>(this);
  disposed = new Signal<this, void>(this);
}

describe('KernelTransports', () => {
  it('keeps a transport through a restart, which JupyterLab 4.6 also calls a kernel change', async () => {
    const kernel = new FakeKernel();
    const context = new FakeContext(kernel);
    const transports = new KernelTransports();
    transports.track(context as any);
    await flush();
    const transport = transports.get('k1')!;
    let disposed = 0;
    transport.disposed.connect(() => (disposed += 1));

    // the same connection: a restart, and the bars keep saying so
    context.kernelChanged.emit({ name: 'kernel', oldValue: kernel, newValue: kernel });
    expect(transports.get('k1')).toBe(transport);
    expect(disposed).toBe(0);

    // another kernel: the old transport goes, a new one follows it
    const other = new FakeKernel();
    other.id = 'k2';
    context.session.kernel = other;
    context.kernelChanged.emit({ name: 'kernel', oldValue: kernel, newValue: other });
    expect(disposed).toBe(1);
    expect(transports.get('k1')).toBeUndefined();
    expect(transports.get('k2')).toBeDefined();
    transports.dispose();
  });
});
