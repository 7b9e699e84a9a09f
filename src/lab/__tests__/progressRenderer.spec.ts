import { Signal } from '@lumino/signaling';
import { TaskStore } from 'jupyterlab-asyncresult-node/core';
import {
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { trans } from '../../widgets/__tests__/fixtures';
import { PROGRESS_MIME, ProgressRenderer } from '../progressRenderer';

/** A kernel transport with what a bar reads. */
class FakeTransport {
  store = new TaskStore();
  state = 'connecting';
  isDisposed = false;
  supportsSubshells = true;
  lostWork = '';
  kernel = { status: 'idle' };
  stateChanged = new Signal<this, void>(this);
  disposed = new Signal<this, void>(this);
  request = () => Promise.resolve({});

  /** The bridge's snapshot of session `session`: r1 over 4 tasks, 3 done. */
  snapshot(session: string): void {
    this.store.apply(
      snapshotMessage(
        0,
        [resultRecord('r1', ['m0', 'm1', 'm2', 'm3'], { fname: 'held' })],
        [
          taskRecord('m0', 'done'),
          taskRecord('m1', 'done'),
          taskRecord('m2', 'done'),
          taskRecord('m3', 'running')
        ],
        { bridge: { version: '0.1.0', ipyparallel: '9.2.0', session } }
      )
    );
  }
}

class FakeTransports {
  byKernel = new Map<string, FakeTransport>();
  changed = new Signal<this, void>(this);
  source(id: string) {
    return this.byKernel.get(id);
  }
}

const barData = (session: string, ids = ['r1']) => ({
  v: 1,
  session,
  result_ids: ids,
  label: 'held'
});

function setUp() {
  const transports = new FakeTransports();
  const context = { session: { kernel: { id: 'k1' } } };
  const renderer = new ProgressRenderer({
    context: context as any,
    transports: transports as any,
    trans,
    showEngines: () => false
  });
  const text = (part: string) =>
    renderer.node.querySelector(`.jp-AsyncResultProgress-${part}`)!.textContent;
  const render = (data: unknown) =>
    renderer.renderModel({ data: { [PROGRESS_MIME]: data } } as any);
  return { transports, context, renderer, text, render };
}

describe('ProgressRenderer', () => {
  it('waits for the kernel, then draws its session’s results from the store', async () => {
    const { transports, renderer, text, render } = setUp();
    await render(barData('s1'));
    expect(text('message')).toBe('Waiting for the kernel…');

    const transport = new FakeTransport();
    transports.byKernel.set('k1', transport);
    transports.changed.emit();
    expect(text('message')).toBe('Waiting for the kernel…');

    transport.snapshot('s1');
    transport.state = 'live';
    transports.changed.emit();
    expect(text('count')).toBe('3 / 4 done');
    expect(text('message')).toBe('');
    renderer.dispose();
  });

  it('says a bar saved by an earlier kernel session is not known, and draws none of this one’s work', async () => {
    const { transports, renderer, text, render } = setUp();
    const transport = new FakeTransport();
    transport.snapshot('s2');
    transport.state = 'live';
    transports.byKernel.set('k1', transport);
    await render(barData('s1'));
    expect(text('count')).toBe('0 / 0 done');
    expect(text('message')).toContain('earlier session of the kernel');
    renderer.dispose();
  });

  it('shows the last known state while the kernel has not answered this page, and says so', async () => {
    const { transports, renderer, text, render } = setUp();
    const transport = new FakeTransport();
    transport.snapshot('s1'); // what the last page kept
    transports.byKernel.set('k1', transport);
    await render(barData('s1'));
    expect(text('count')).toBe('3 / 4 done');
    expect(text('message')).toContain('Last known state');
    expect(text('stats')).not.toContain('ETA');
    const abort = renderer.node.querySelector('.jp-AsyncResultProgress-abort') as HTMLButtonElement;
    expect(abort.hidden).toBe(true); // it could not be sent yet

    transport.state = 'live';
    transport.stateChanged.emit();
    expect(text('message')).toBe('');
    expect(abort.hidden).toBe(false);
    renderer.dispose();
  });

  it('refuses data it does not understand, plainly', async () => {
    const { renderer, text, render } = setUp();
    await render({ ...barData('s1'), v: 2 });
    expect(text('message')).toBe('This progress bar’s data is not understood.');
    expect(ProgressRenderer.parse({ ...barData('s1'), result_ids: [1] })).toBeNull();
    expect(ProgressRenderer.parse(barData('s1'))).toEqual({
      session: 's1',
      resultIds: ['r1'],
      label: 'held'
    });
    renderer.dispose();
  });
});
