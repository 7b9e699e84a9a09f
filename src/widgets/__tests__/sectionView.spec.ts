import { TaskStore } from 'jupyterlab-asyncresult-node/core';
import { fakeSource } from '../../../packages/asyncresult-node/src/core/__tests__/builders';
import { renderSectionHead } from '../sectionView';
import { trans } from './fixtures';

const PATHS: Record<string, string> = { kA: 'analysis/run.ipynb', kC: 'c.ipynb' };

function head(ahead: Parameters<typeof renderSectionHead>[1]['ahead']): HTMLElement {
  const source = fakeSource(new TaskStore(), { id: 'kB' });
  return renderSectionHead(
    { key: 'kB', entry: { source, names: ['b.ipynb'], paths: ['b.ipynb'] }, rows: [], hidden: 0 },
    { collapsed: false, cluster: null, ahead, pathsOf: key => PATHS[key] ?? key, trans }
  );
}

describe('the section head of a kernel whose tasks are queued', () => {
  it('names the notebooks whose work is ahead, with their counts, then other clients', () => {
    const line = head({
      waiting: 3,
      kernels: [
        { key: 'kA', running: 2, queued: 10 },
        { key: 'kC', running: 0, queued: 1 }
      ],
      others: 4
    }).querySelector<HTMLElement>('.jp-AsyncResultSidebar-ahead')!;
    expect(line.textContent).toBe(
      'Queued behind 12 tasks of analysis/run.ipynb, 1 of c.ipynb, 4 of other clients'
    );
    expect(line.dataset.ahead).toBe('kA:12 kC:1');
    expect(line.dataset.others).toBe('4');
    expect(line.title).toContain('analysis/run.ipynb: 2 running, 10 queued before');
    expect(line.title).toContain("This kernel's 3 queued tasks wait behind");
  });

  it('does not call other clients ahead when they are all there is (their order is not known)', () => {
    const line = head({ waiting: 1, kernels: [], others: 1 }).querySelector(
      '.jp-AsyncResultSidebar-ahead'
    )!;
    expect(line.textContent).toBe('Queued with 1 task of other clients on the controller');
  });

  it('says nothing when nothing is ahead', () => {
    expect(head(null).querySelector('.jp-AsyncResultSidebar-ahead')).toBeNull();
  });
});
