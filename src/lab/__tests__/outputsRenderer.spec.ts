import { Sanitizer } from '@jupyterlab/apputils';
import { RenderMimeRegistry, standardRendererFactories } from '@jupyterlab/rendermime';
import { Signal } from '@lumino/signaling';
import { TaskStore } from 'jupyterlab-asyncresult-node/core';
import {
  deltaMessage,
  resultRecord,
  snapshotMessage,
  taskRecord
} from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { trans } from '../../widgets/__tests__/fixtures';
import { OUTPUTS_MIME, OutputsRenderer } from '../outputsRenderer';

class FakeTransports {
  byKernel = new Map<string, any>();
  changed = new Signal<this, void>(this);
  source(id: string) {
    return this.byKernel.get(id);
  }
}

const hostile = {
  data: {
    'text/plain': '<IPython.core.display.HTML object>',
    'text/html':
      '<img class="bait" src="x" onerror="window.__pwned=1"><script>window.__pwned=2</script>'
  },
  metadata: {}
};

const bundle = (overrides: Record<string, unknown> = {}) => ({
  v: 1,
  session: 's1',
  result_id: 'r1',
  groupby: 'type',
  single: false,
  result_only: false,
  done: true,
  tasks: [
    {
      msg_id: 'm0',
      engine_id: 0,
      stdout: 'hi\n',
      stdout_truncated: false,
      stderr: '',
      stderr_truncated: false,
      outputs: [hostile],
      outputs_truncated: false,
      execute_result: null,
      error: null
    }
  ],
  ...overrides
});

function setUp(trusted = false) {
  const transports = new FakeTransports();
  const rendermime = new RenderMimeRegistry({
    initialFactories: standardRendererFactories,
    sanitizer: new Sanitizer()
  });
  const renderer = new OutputsRenderer({
    context: { session: null } as any,
    transports: transports as any,
    trans,
    rendermime,
    trusted: () => trusted
  });
  const render = async (data: unknown) => {
    await renderer.renderModel({ data: { [OUTPUTS_MIME]: data } } as any);
    (renderer.widgets[0] as any)?.flush();
  };
  return { transports, renderer, render };
}

describe('OutputsRenderer', () => {
  it('draws the saved outputs with no kernel, engine HTML sanitised', async () => {
    const { renderer, render } = setUp();
    await render(bundle());
    expect(renderer.node.textContent).toContain('[stdout:0]');
    const img = renderer.node.querySelector('img.bait');
    expect(img).not.toBeNull();
    expect(img!.getAttribute('onerror')).toBeNull();
    expect(renderer.node.querySelector('script')).toBeNull();
    renderer.dispose();
  });

  it('renders engine HTML as it is when the user trusts engine outputs', async () => {
    const { renderer, render } = setUp(true);
    await render(bundle());
    expect(renderer.node.querySelector('img.bait')!.getAttribute('onerror')).toBe(
      'window.__pwned=1'
    );
    renderer.dispose();
  });

  it('says a running result of another kernel session is not followed', async () => {
    const { transports, renderer, render } = setUp();
    const store = new TaskStore();
    store.apply(
      snapshotMessage(0, [resultRecord('r1', ['m0'])], [taskRecord('m0', 'running')], {
        bridge: { version: '0.1.0', ipyparallel: '9.2.0', session: 's2' }
      })
    );
    transports.byKernel.set('k1', {
      store,
      state: 'live',
      stateChanged: new Signal<unknown, void>({}),
      request: () => Promise.resolve({ tasks: [] })
    });
    (renderer as any)._options.context = { session: { kernel: { id: 'k1' } } };
    await render(bundle({ done: false }));
    expect(renderer.node.textContent).toContain('not in this kernel now');
    expect(renderer.node.textContent).toContain('hi');
    renderer.dispose();
  });

  it('waits for the delta that announces its result when the display comes first', async () => {
    const { transports, renderer, render } = setUp();
    const store = new TaskStore();
    const bridge = { version: '0.1.0', ipyparallel: '9.2.0', session: 's1' };
    store.apply(snapshotMessage(3, [], [], { bridge }));
    transports.byKernel.set('k1', {
      store,
      state: 'live',
      stateChanged: new Signal<unknown, void>({}),
      request: () => new Promise(() => undefined)
    });
    (renderer as any)._options.context = { session: { kernel: { id: 'k1' } } };
    await render(bundle({ done: false, seq: 4 }));
    expect(renderer.node.textContent).toContain('Waiting for the kernel');
    expect(renderer.node.textContent).not.toContain('not in this kernel');
    store.apply(deltaMessage(4, [taskRecord('m0', 'running')], [resultRecord('r1', ['m0'])]));
    expect(renderer.node.textContent).toContain('Live: outputs appear');
    renderer.dispose();
    // a store already at the bundle's seq that lacks the result: not this kernel's
    const second = setUp();
    const later = new TaskStore();
    later.apply(snapshotMessage(4, [], [], { bridge }));
    second.transports.byKernel.set('k1', {
      store: later,
      state: 'live',
      stateChanged: new Signal<unknown, void>({}),
      request: () => new Promise(() => undefined)
    });
    (second.renderer as any)._options.context = { session: { kernel: { id: 'k1' } } };
    await second.render(bundle({ done: false, seq: 4 }));
    expect(second.renderer.node.textContent).toContain('not in this kernel now');
    second.renderer.dispose();
  });

  it('refuses data it does not understand, plainly', async () => {
    const { renderer, render } = setUp();
    await render(bundle({ groupby: 'color' }));
    expect(renderer.node.textContent).toBe('These parallel outputs are not understood.');
    expect(OutputsRenderer.parse(bundle({ v: 2 }))).toBeNull();
    renderer.dispose();
  });
});
