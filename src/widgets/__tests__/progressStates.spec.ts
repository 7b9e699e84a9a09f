import {
  deltaMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { abortButton, FakeRequester, finish, follow, pendingStore, text } from './fixtures';

/** Put tasks `ids` of r1 in the running state on engine `engine`. */
function run(store: ReturnType<typeof pendingStore>, seq: number, ids: number[], engine = 0) {
  const now = Date.now() / 1000;
  store.apply(
    deltaMessage(
      seq,
      ids.map(i =>
        taskRecord(`m${i}`, 'running', { engine_id: engine, submitted: now - 10, started: now })
      ),
      [],
      [],
      { clock: now }
    )
  );
}

describe('The bar while an abort lands (10.11)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('says the abort is under way until the queued tasks are aborted, never "Aborted 0"', async () => {
    const store = pendingStore(6);
    finish(store, 1, [0]);
    run(store, 2, [1]);
    const { bar, follower } = follow(store);
    expect(text(bar, 'stats')).toContain('ETA');
    abortButton(bar).click();
    expect(text(bar, 'stats')).not.toContain('ETA');
    await Promise.resolve();
    await Promise.resolve();
    // the bridge answered, but no aborted task has arrived yet
    jest.advanceTimersByTime(200);
    expect(text(bar, 'message')).toBe('Aborting: 0 aborted so far, 4 still queued.');
    expect(text(bar, 'message')).not.toMatch(/Aborted 0/);
    expect(abortButton(bar).disabled).toBe(true);
    expect(text(bar, 'stats')).not.toContain('ETA');
    finish(store, 3, [2, 3], 'aborted');
    jest.advanceTimersByTime(200);
    expect(text(bar, 'message')).toBe('Aborting: 2 aborted so far, 2 still queued.');
    finish(store, 4, [4, 5], 'aborted');
    jest.advanceTimersByTime(200);
    expect(text(bar, 'message')).toBe('Aborted 4 queued tasks.');
    // the running task goes on; Abort has nothing left to do
    expect(abortButton(bar).disabled).toBe(true);
    follower.dispose();
  });
});

describe('The bar when the controller is lost (10.14)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('says so, drops the ETA and disables Abort', () => {
    const store = pendingStore(4);
    finish(store, 1, [0]);
    const { bar, follower } = follow(store);
    expect(text(bar, 'stats')).toContain('ETA');
    store.apply(
      deltaMessage(2, [], [], [], {
        controller: { ok: false, detail: 'the controller has not answered for 5 s' }
      })
    );
    jest.advanceTimersByTime(200);
    expect(text(bar, 'message')).toBe('Controller lost: the controller has not answered for 5 s');
    expect(text(bar, 'stats')).not.toContain('ETA');
    expect(abortButton(bar).hidden).toBe(true);
    expect(bar.node.dataset.status).toBe('stopped');
    // it stops ticking: nothing moves any more
    const renders = follower.renders;
    jest.advanceTimersByTime(5000);
    expect(follower.renders).toBe(renders);
    follower.dispose();
  });
});

describe('The bar when the kernel restarts or shuts down (10.13)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('settles on the last known counts and says why', () => {
    const store = pendingStore(5);
    finish(store, 1, [0, 1]);
    finish(store, 2, [2], 'error');
    run(store, 3, [3], 1);
    let gone = '';
    const { bar, follower } = follow(store, { kernelGone: () => gone });
    gone = 'The kernel restarted.';
    store.reset();
    follower.update();
    expect(text(bar, 'count')).toBe('2 / 5 done');
    expect(text(bar, 'stats')).toMatch(/^1 failed · 2 unfinished/);
    expect(text(bar, 'stats')).not.toContain('running');
    expect(text(bar, 'stats')).not.toContain('ETA');
    expect(text(bar, 'message')).toBe(
      'The kernel restarted. The counts above are the last known state of this work.'
    );
    expect(abortButton(bar).hidden).toBe(true);
    expect(bar.node.dataset.status).toBe('stopped');
    // no engine still shows as running
    const chips = Array.from(
      bar.node.querySelectorAll<HTMLElement>('.jp-AsyncResultProgress-engine')
    );
    expect(chips.map(c => c.dataset.state)).not.toContain('running');
    follower.dispose();
  });

  it('survives its store being disposed (kernel shut down)', () => {
    const store = pendingStore(3);
    finish(store, 1, [0]);
    let gone = '';
    const { bar, follower } = follow(store, { kernelGone: () => gone });
    gone = 'The kernel was shut down.';
    store.dispose();
    follower.update();
    expect(text(bar, 'count')).toBe('1 / 3 done');
    expect(text(bar, 'message')).toContain('The kernel was shut down.');
    follower.dispose();
  });

  it('does not blame the kernel for work of a new kernel that it follows', () => {
    const store = pendingStore(2);
    const { bar, follower } = follow(store, { kernelGone: () => 'The kernel restarted.' });
    expect(text(bar, 'message')).toBe('');
    expect(bar.node.dataset.status).toBe('running');
    follower.dispose();
  });
});

describe('A dead engine (10.17)', () => {
  it('turns its chip red and says it died', () => {
    const store = pendingStore(3);
    finish(store, 1, [0]);
    const now = Date.now() / 1000;
    store.apply(
      deltaMessage(2, [
        taskRecord('m1', 'error', {
          engine_id: 1,
          submitted: now - 5,
          completed: now,
          error: {
            ename: 'EngineError',
            evalue: "Engine 1 died while running task 'm1'",
            traceback: '',
            engine_id: 1
          }
        })
      ])
    );
    const { bar, follower } = follow(store, { requester: new FakeRequester() });
    const chip = bar.node.querySelector<HTMLElement>(
      '.jp-AsyncResultProgress-engine:nth-child(2)'
    )!;
    expect(chip.textContent).toBe('1');
    expect(chip.dataset.state).toBe('dead');
    expect(chip.title).toContain('died');
    follower.dispose();
  });
});
