import {
  arrangeRows,
  defaultQuery,
  finishedKeys,
  type IPanelQuery,
  type ITaskSource,
  type ITaskSourceEntry,
  measureProgress,
  ProgressCache,
  rowKey,
  TaskStore
} from '..';
import { deltaMessage, fakeSource, resultRecord, snapshotMessage, taskRecord } from './builders';

const NOW = 1_000_000;

/** A source with just a store: what the panel model reads. */
function source(id: string, store: TaskStore): ITaskSource {
  return fakeSource(store, { id });
}

/**
 * A kernel with three results: `fit` (In [3], 2 done of 2, 40 s), `load`
 * (In [5], running: 1 done, 1 running, 1 queued) and `score` (In [7], one of
 * two failed).
 */
function kernelStore(): TaskStore {
  const store = new TaskStore();
  const t = (m: string, status: any, extra = {}) =>
    taskRecord(m, status, { submitted: NOW - 100, ...extra });
  store.apply(
    snapshotMessage(
      0,
      [
        resultRecord('r1', ['a1', 'a2'], { fname: 'fit', created: NOW - 100, execution_count: 3 }),
        resultRecord('r2', ['b1', 'b2', 'b3'], {
          fname: 'load',
          label: 'nightly',
          created: NOW - 50,
          execution_count: 5
        }),
        resultRecord('r3', ['c1', 'c2'], { fname: 'score', created: NOW - 10, execution_count: 7 })
      ],
      [
        t('a1', 'done', { engine_id: 0, completed: NOW - 60 }),
        t('a2', 'done', { engine_id: 1, completed: NOW - 61 }),
        t('b1', 'done', { engine_id: 0, submitted: NOW - 50, completed: NOW - 45 }),
        t('b2', 'running', { engine_id: 1, submitted: NOW - 50, started: NOW - 20 }),
        t('b3', 'pending', { submitted: NOW - 50 }),
        t('c1', 'done', { engine_id: 0, submitted: NOW - 10, completed: NOW - 9 }),
        t('c2', 'error', { engine_id: 1, submitted: NOW - 10, completed: NOW - 8 })
      ],
      { clock: NOW }
    )
  );
  return store;
}

function entry(id: string, path: string, store = kernelStore()): ITaskSourceEntry {
  return { source: source(id, store), names: [path.split('/').pop()!], paths: [path] };
}

function query(extra: Partial<IPanelQuery> = {}): IPanelQuery {
  return { ...defaultQuery(), ...extra };
}

const names = (rows: { record: { fname: string } }[]) => rows.map(r => r.record.fname);

describe('arrangeRows', () => {
  it('makes one section per kernel, newest first, counting as the bars do', () => {
    const a = entry('k1', 'a/analysis.ipynb');
    const b = entry('k2', 'b/analysis.ipynb');
    const sections = arrangeRows([a, b], query(), undefined, NOW);
    expect(sections.map(s => s.key)).toEqual(['k1', 'k2']);
    // same file name, told apart by the path
    expect(sections.map(s => s.entry!.paths)).toEqual([['a/analysis.ipynb'], ['b/analysis.ipynb']]);
    expect(names(sections[0].rows)).toEqual(['score', 'load', 'fit']);
    for (const row of sections[0].rows) {
      expect(row.progress).toEqual(measureProgress(a.source.store, [row.record.id], NOW));
    }
    const load = sections[0].rows[1];
    expect(load.key).toBe(rowKey('k1', 'r2'));
    expect([load.progress.done, load.progress.running, load.progress.queued]).toEqual([1, 1, 1]);
    // still running: its duration runs to now from its first submission
    expect(load.duration).toBe(50);
    expect(sections[0].rows[2].duration).toBe(100 - 60);
  });

  it('filters by status with the same words as the bar', () => {
    const sections = (status: IPanelQuery['status']) =>
      names(arrangeRows([entry('k1', 'x.ipynb')], query({ status }), undefined, NOW)[0].rows);
    expect(sections('all')).toEqual(['score', 'load', 'fit']);
    expect(sections('unfinished')).toEqual(['load']);
    expect(sections('running')).toEqual(['load']);
    expect(sections('queued')).toEqual(['load']);
    expect(sections('failed')).toEqual(['score']);
    expect(sections('done')).toEqual(['fit']);
    expect(sections('aborted')).toEqual([]);
    const hidden = arrangeRows(
      [entry('k1', 'x.ipynb')],
      query({ status: 'failed' }),
      undefined,
      NOW
    );
    expect(hidden[0].hidden).toBe(2);
  });

  it('filters by every word, in the name, label, In [n] or path, in any case', () => {
    const rows = (text: string) =>
      names(arrangeRows([entry('k1', 'team/x.ipynb')], query({ text }), undefined, NOW)[0].rows);
    expect(rows('NIGHTLY')).toEqual(['load']);
    expect(rows('in [3]')).toEqual(['fit']);
    expect(rows('team fit')).toEqual(['fit']);
    expect(rows('team nothing')).toEqual([]);
  });

  it('sorts by duration, longest first, and flattens every kernel into one list', () => {
    const flat = arrangeRows(
      [entry('k1', 'a.ipynb'), entry('k2', 'b.ipynb')],
      query({ sort: 'longest', groupBy: 'flat' }),
      undefined,
      NOW
    );
    expect(flat).toHaveLength(1);
    expect(flat[0].entry).toBeNull();
    expect(flat[0].rows.map(r => [r.record.fname, r.duration])).toEqual([
      ['load', 50],
      ['load', 50],
      ['fit', 40],
      ['fit', 40],
      ['score', 2],
      ['score', 2]
    ]);
    expect(flat[0].rows.map(r => r.path)).toContain('b.ipynb');
  });

  it('hides cleared rows only once they are finished', () => {
    const e = entry('k1', 'x.ipynb');
    const all = arrangeRows([e], query(), undefined, NOW);
    const cleared = new Set([...finishedKeys(all), rowKey('k1', 'r2')]);
    expect(finishedKeys(all).sort()).toEqual([rowKey('k1', 'r1'), rowKey('k1', 'r3')]);
    const after = arrangeRows([e], query({ cleared }), undefined, NOW)[0];
    // the running one stays although its key was cleared
    expect(names(after.rows)).toEqual(['load']);
    expect(after.hidden).toBe(2);
  });
});

describe('ProgressCache', () => {
  it('keeps a finished result until one of its tasks changes', () => {
    const store = kernelStore();
    const cache = new ProgressCache();
    const first = cache.progress(store, 'r3', NOW);
    expect(cache.progress(store, 'r3', NOW)).toBe(first);
    // resubmitted in place: its failed task runs again
    store.apply(
      deltaMessage(
        1,
        [taskRecord('c2', 'running', { engine_id: 1, submitted: NOW - 10 })],
        [],
        [],
        {
          clock: NOW
        }
      )
    );
    const again = cache.progress(store, 'r3', NOW);
    expect(again).not.toBe(first);
    expect([again.failed, again.running]).toEqual([0, 1]);
  });

  it('measures an unfinished result afresh each time, as its time moves', () => {
    const store = kernelStore();
    const cache = new ProgressCache();
    expect(cache.progress(store, 'r2', NOW).elapsed).toBe(50);
    expect(cache.progress(store, 'r2', NOW + 5).elapsed).toBe(55);
  });
});
