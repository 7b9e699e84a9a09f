import type { ITaskOutputs } from 'jupyterlab-asyncresult-node/core';
import { OutputsView } from '../outputsView';
import { trans } from './fixtures';

function task(engine: number, extra: Partial<ITaskOutputs> = {}): ITaskOutputs {
  return { ...OutputsView.emptyTask(`m${engine}`, engine), ...extra };
}

function setUp(tasks: ITaskOutputs[], options: Partial<OutputsView.IOptions> = {}) {
  const rendered: string[] = [];
  const view = new OutputsView({
    trans,
    renderBundle: (bundle, host) => {
      rendered.push(String(bundle.data['text/plain']));
      host.textContent = `drawn ${bundle.data['text/plain']}`;
    },
    ...options
  });
  view.setTasks(tasks);
  view.flush();
  const labels = () =>
    Array.from(view.node.querySelectorAll('.jp-AsyncResultOutputs-toggle')).map(b =>
      (b.textContent ?? '').slice(2)
    );
  return { view, rendered, labels };
}

const html = (n: number) => ({
  data: { 'text/plain': `h${n}`, 'text/html': `<b>${n}</b>` },
  metadata: {}
});

describe('OutputsView', () => {
  const tasks = [
    task(0, { stdout: 'a\n', stderr: 'e0\n', outputs: [html(0)] }),
    task(1, { stdout: 'a\n', stderr: 'e1\n', outputs: [html(1)] })
  ];

  it('labels blocks as ipyparallel does and switches grouping in place', () => {
    const { view, labels, rendered } = setUp(tasks);
    expect(labels()).toEqual([
      '[stdout:0]',
      '[stdout:1]',
      '[stderr:0]',
      '[stderr:1]',
      '[output:0]',
      '[output:1]'
    ]);
    view.groupby = 'engine';
    view.flush();
    expect(labels()).toEqual([
      '[stdout:0]',
      '[stderr:0]',
      '[output:0]',
      '[stdout:1]',
      '[stderr:1]',
      '[output:1]'
    ]);
    // the displays were drawn once, not again for the new grouping
    expect(rendered).toEqual(['h0', 'h1']);
    view.groupby = 'first';
    view.flush();
    expect(labels()).toEqual(['[stdout:0]', '[stderr:0]', '[output:0]']);
    expect(view.node.textContent).toContain('1 more engine(s) hidden');
  });

  it('filters by engine and by stream', () => {
    const { view, labels } = setUp(tasks);
    const input = view.node.querySelector<HTMLInputElement>('.jp-AsyncResultOutputs-engines')!;
    input.value = '1';
    input.dispatchEvent(new Event('input'));
    view.flush();
    expect(labels()).toEqual(['[stdout:1]', '[stderr:1]', '[output:1]']);
    const stderr = view.node.querySelector<HTMLInputElement>('input[data-stream="stderr"]')!;
    stderr.checked = false;
    stderr.dispatchEvent(new Event('change'));
    view.flush();
    expect(labels()).toEqual(['[stdout:1]', '[output:1]']);
  });

  it('folds an engine everywhere and keeps its label', () => {
    const { view } = setUp(tasks);
    view.node.querySelector<HTMLButtonElement>('.jp-AsyncResultOutputs-toggle')!.click();
    view.flush();
    const folded = view.node.querySelectorAll('.jp-AsyncResultOutputs-block.jp-mod-collapsed');
    expect(Array.from(folded).map(b => (b as HTMLElement).dataset.engine)).toEqual(['0', '0', '0']);
    expect(view.node.textContent).not.toContain('e0');
    expect(view.node.textContent).toContain('e1');
  });

  it('appends live text in its engine slot however it arrives', () => {
    const { view, labels } = setUp([task(0), task(1)], { groupby: 'engine' });
    view.appendStream('m1', 1, 'stdout', 'one\n');
    view.flush();
    view.appendStream('m0', 0, 'stdout', 'zero\n');
    view.flush();
    expect(labels()).toEqual(['[stdout:0]', '[stdout:1]']);
  });

  it('caps a 5 MB single line and shows more on request', () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const { view } = setUp([task(0, { stdout: big })]);
    const text = () => view.node.querySelector('.jp-AsyncResultOutputs-text')!.textContent!;
    expect(text().length).toBeLessThanOrEqual(20000);
    view.node.querySelector<HTMLButtonElement>('.jp-AsyncResultOutputs-more')!.click();
    view.flush();
    expect(text().length).toBe(100000);
  });

  it('shows a failed engine’s output before its error', () => {
    const failed = task(2, {
      stdout: 'before\n',
      error: { ename: 'ValueError', evalue: 'bad', traceback: '', engine_id: 2 }
    });
    const { view, labels } = setUp([failed], { groupby: 'engine' });
    expect(labels()).toEqual(['[stdout:2]', '[2:error]']);
    expect(view.node.textContent).toContain('ValueError: bad');
  });

  it('reads engine lists as users write them', () => {
    expect([...OutputsView.parseEngines('0-2, 5')!]).toEqual([0, 1, 2, 5]);
    expect(OutputsView.parseEngines('x')).toBeUndefined();
    expect(OutputsView.parseEngines('')).toBeUndefined();
  });
});
