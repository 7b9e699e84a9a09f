import {
  deltaMessage,
  resultRecord,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { VERSION } from '../../version';
import { formatDuration, formatRate } from '../progressBar';
import { abortButton, FakeRequester, finish, follow, pendingStore, text } from './fixtures';

describe('ProgressBar', () => {
  it('draws done / total, failures, running, queued, elapsed, rate and ETA', () => {
    const store = pendingStore(10);
    finish(store, 1, [0, 1, 2, 3]);
    finish(store, 2, [4], 'error');
    const { bar, follower } = follow(store);
    expect(text(bar, 'label')).toBe('slow');
    expect(text(bar, 'count')).toBe('4 / 10 done');
    const stats = text(bar, 'stats');
    expect(stats).toContain('1 failed');
    expect(stats).toContain('0 running');
    expect(stats).toContain('5 queued');
    // 5 finished in about 10 s: 0.5 tasks/s, 5 left: about 10 s
    expect(stats).toMatch(/10\.\d s · 0\.50 tasks\/s · ETA (9\.\d|10\.\d) s/);
    expect(bar.node.dataset.status).toBe('running');
    const done = bar.node.querySelector<HTMLElement>('[data-status="done"]')!;
    expect(parseFloat(done.style.width)).toBeCloseTo(40);
    const progressbar = bar.node.querySelector('[role="progressbar"]')!;
    expect(progressbar.getAttribute('aria-valuenow')).toBe('5');
    expect(progressbar.getAttribute('aria-valuemax')).toBe('10');
    expect(bar.node.querySelectorAll('.jp-AsyncResultProgress-engine')).toHaveLength(2);
    follower.dispose();
    bar.dispose();
  });

  it('hides Abort and the ETA once every task finished, and says the outcome', () => {
    const store = pendingStore(3);
    finish(store, 1, [0, 1]);
    finish(store, 2, [2], 'aborted');
    const { bar, follower } = follow(store);
    expect(bar.node.dataset.status).toBe('aborted');
    expect(text(bar, 'stats')).toContain('1 aborted');
    expect(text(bar, 'stats')).not.toContain('ETA');
    expect(abortButton(bar).hidden).toBe(true);
    follower.dispose();
  });

  it('hides the engine strip when asked', () => {
    const store = pendingStore(2);
    finish(store, 1, [0]);
    const { bar, follower } = follow(store);
    bar.showEngines = false;
    follower.update();
    expect(bar.node.querySelector<HTMLElement>('.jp-AsyncResultProgress-engines')!.hidden).toBe(
      true
    );
    follower.dispose();
  });
});

describe('ProgressFollower', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('redraws at most every 200 ms however many tasks change, and not for other results', () => {
    const store = pendingStore(1000);
    const { bar, follower } = follow(store);
    const first = follower.renders;
    for (let i = 0; i < 1000; i++) {
      finish(store, i + 1, [i]);
      jest.advanceTimersByTime(1); // 1000 deltas in one second
    }
    jest.advanceTimersByTime(200);
    const renders = follower.renders - first;
    expect(renders).toBeGreaterThanOrEqual(4);
    expect(renders).toBeLessThanOrEqual(6);
    expect(text(bar, 'count')).toBe('1000 / 1000 done');

    // a delta about another result's tasks does not redraw
    store.apply(deltaMessage(1001, [taskRecord('other', 'done')], [resultRecord('r2', ['other'])]));
    const before = follower.renders;
    jest.advanceTimersByTime(500);
    expect(follower.renders).toBe(before);
    follower.dispose();
  });

  it('ticks once a second while work runs so elapsed time moves, and stops when done or disposed', () => {
    const store = pendingStore(2);
    const { follower } = follow(store);
    const first = follower.renders;
    jest.advanceTimersByTime(3050);
    expect(follower.renders - first).toBe(3);
    finish(store, 1, [0, 1]);
    jest.advanceTimersByTime(5000);
    const settled = follower.renders;
    jest.advanceTimersByTime(5000);
    expect(follower.renders).toBe(settled);
    follower.dispose();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('aborts each unfinished result and then says how many tasks were aborted', async () => {
    const store = pendingStore(5);
    finish(store, 1, [0]);
    const { bar, follower, requester } = follow(store);
    abortButton(bar).click();
    expect(text(bar, 'message')).toBe('Aborting the queued tasks…');
    expect(abortButton(bar).disabled).toBe(true);
    await Promise.resolve();
    await Promise.resolve();
    expect(requester.calls).toEqual([['abort', { result_id: 'r1' }]]);
    finish(store, 2, [1, 2, 3, 4], 'aborted');
    jest.advanceTimersByTime(200);
    expect(text(bar, 'message')).toBe('Aborted 4 queued tasks.');
    follower.dispose();
  });

  it('says that the abort waits for the running cell when the kernel has no subshells', () => {
    const store = pendingStore(2);
    const requester = new FakeRequester();
    requester.answer = () => new Promise(() => undefined);
    const { bar, follower } = follow(store, { requester, abortDeferred: () => true });
    const button = abortButton(bar);
    expect(button.title).toContain('when the running cell ends');
    button.click();
    expect(text(bar, 'message')).toBe('Abort requested: it acts when the running cell ends.');
    follower.dispose();
  });

  it('shows why an abort failed', async () => {
    const store = pendingStore(2);
    const requester = new FakeRequester();
    requester.answer = () => Promise.reject(new Error('abort: the controller is gone'));
    const { bar, follower } = follow(store, { requester });
    abortButton(bar).click();
    await Promise.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(text(bar, 'message')).toBe('Abort failed: abort: the controller is gone');
    expect(bar.node.querySelector('.jp-AsyncResultProgress-message')!.classList).toContain(
      'jp-mod-error'
    );
    follower.dispose();
  });

  it('says when the kernel no longer follows the work', () => {
    const store = pendingStore(2);
    const { bar, follower } = follow(store, { resultIds: ['r9'] });
    expect(text(bar, 'message')).toBe('The kernel no longer follows this work.');
    follower.dispose();
  });
});

describe('formatting', () => {
  it('writes durations and rates the way the summary does', () => {
    expect(formatDuration(4.25)).toBe('4.3 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(3720)).toBe('1 h 02 min');
    expect(formatRate(1234.4)).toBe('1234');
    expect(formatRate(4.26)).toBe('4.3');
    expect(formatRate(0.256)).toBe('0.26');
  });

  it('keeps the widget module version equal to the npm package version', () => {
    expect(VERSION).toBe(require('../../../package.json').version);
  });
});
