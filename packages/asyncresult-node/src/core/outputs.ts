/**
 * What tasks printed and displayed, and how to group it the way
 * ipyparallel's `display_outputs(groupby)` does (plus `merge` and `first`,
 * which ipyparallel lacks). The single home of the grouping rules: the
 * notebook view and `ipp-top run --groupby` both draw from here.
 */
import type { IErrorInfo } from './errorInfo';

/** A mime bundle with its metadata, as in a display_data message. */
export interface IMimeBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** One task's outputs as the bridge's `get_outputs` gives them. */
export interface ITaskOutputs {
  msg_id: string | null;
  engine_id: number | null;
  stdout: string;
  stdout_truncated: boolean;
  /** Length of the whole stdout (what `stdout` is a part of). */
  stdout_total?: number;
  stderr: string;
  stderr_truncated: boolean;
  stderr_total?: number;
  outputs: IMimeBundle[];
  outputs_truncated: boolean;
  /** With the execute_result's `execution_count`, for its prompt. */
  execute_result: (IMimeBundle & { execution_count?: number | null }) | null;
  /** What the task raised, if it failed (known once it ended). */
  error?: IErrorInfo | null;
}

/** How to order the outputs of many tasks. */
export type GroupBy = 'type' | 'engine' | 'order' | 'merge' | 'first';

/** Every grouping, in the order a menu offers them. */
export const GROUPINGS: ReadonlyArray<GroupBy> = ['type', 'engine', 'order', 'merge', 'first'];

/** One piece of grouped output, in display order. */
export type OutputItem =
  | {
      kind: 'stream';
      name: 'stdout' | 'stderr';
      engineId: number | null;
      /** `[stdout:1] `, or '' for a single result */
      prefix: string;
      text: string;
      truncated: boolean;
      /** With `merge`: every engine whose output this is. */
      engines?: number[];
    }
  | { kind: 'header'; engineId: number | null; text: string; engines?: number[] }
  | {
      kind: 'display' | 'result';
      engineId: number | null;
      bundle: IMimeBundle;
      engines?: number[];
    }
  | { kind: 'truncated'; engineId: number | null; text: string; engines?: number[] }
  | {
      kind: 'error';
      engineId: number | null;
      /** `[3:error]`-style label of the engine(s). */
      text: string;
      error: IErrorInfo;
      engines?: number[];
    }
  | {
      /** With `first`: how many other engines' outputs are not shown. */
      kind: 'hidden';
      engineId: null;
      count: number;
      text: string;
    };

/**
 * Order tasks' outputs as ipyparallel's display_outputs: by `type` (all
 * stdout, then all stderr, then displays engine by engine, then results),
 * by `engine` (everything of one engine before the next), or by `order`
 * (like type, but the i-th displays of every engine together). Beyond
 * ipyparallel, `merge` shows identical outputs of several engines once
 * (labelled `[stdout:0-3]`) and `first` the lowest engine's only, with a
 * `hidden` item counting the others. Errors follow each engine's results.
 * A single result has no prefixes. `resultOnly` keeps only the results.
 */
export function groupOutputs(
  tasks: ReadonlyArray<ITaskOutputs>,
  groupby: GroupBy = 'type',
  options: { single?: boolean; resultOnly?: boolean } = {}
): OutputItem[] {
  if (!GROUPINGS.includes(groupby)) {
    const known = GROUPINGS.map(g => `'${g}'`).join(', ');
    throw new Error(`groupby must be one of ${known}, not '${groupby}'`);
  }
  const { single = false, resultOnly = false } = options;
  let groups: Private.IGroup[] = tasks.map(t => ({ task: t, label: String(t.engine_id) }));
  let hidden = 0;
  if (groupby === 'merge' && !single) {
    groups = Private.merge(tasks);
  } else if (groupby === 'first' && !single && tasks.length) {
    const ran = tasks.filter(t => t.engine_id !== null);
    const pool = ran.length ? ran : tasks;
    const first = pool.reduce((a, b) =>
      (b.engine_id ?? Infinity) < (a.engine_id ?? Infinity) ? b : a
    );
    hidden = new Set(pool.map(t => t.engine_id)).size - 1;
    groups = [{ task: first, label: String(first.engine_id) }];
  }
  if (groupby === 'engine' && !single) {
    // everything of engine 0, then of engine 1, ... (a load-balanced map's
    // tasks come in submission order, which jumps between engines); tasks of
    // one engine keep their order, and those of no engine come last
    const key = (g: Private.IGroup) => g.task.engine_id ?? Infinity;
    groups = groups
      .map((g, i) => [g, i] as const)
      .sort(([a, i], [b, j]) => key(a) - key(b) || i - j)
      .map(([g]) => g);
  }
  const out: OutputItem[] = [];
  const tag = (g: Private.IGroup) => (g.engines ? { engines: g.engines } : {});
  const stream = (g: Private.IGroup, name: 'stdout' | 'stderr') => {
    const t = g.task;
    if (!resultOnly && t[name]) {
      out.push({
        kind: 'stream',
        name,
        engineId: t.engine_id,
        prefix: single ? '' : `[${name}:${g.label}] `,
        text: t[name],
        truncated: t[`${name}_truncated`],
        ...tag(g)
      });
    }
  };
  const header = (g: Private.IGroup) => {
    if (!single) {
      out.push({
        kind: 'header',
        engineId: g.task.engine_id,
        text: `[output:${g.label}]`,
        ...tag(g)
      });
    }
  };
  const displays = (g: Private.IGroup, which: IMimeBundle[] = g.task.outputs) => {
    const t = g.task;
    for (const bundle of which) {
      out.push({ kind: 'display', engineId: t.engine_id, bundle, ...tag(g) });
    }
    if (which === t.outputs && t.outputs_truncated) {
      out.push({
        kind: 'truncated',
        engineId: t.engine_id,
        text: `[output:${g.label}] more displays were cut`,
        ...tag(g)
      });
    }
  };
  const result = (g: Private.IGroup) => {
    const t = g.task;
    if (t.execute_result) {
      out.push({ kind: 'result', engineId: t.engine_id, bundle: withPrompt(t), ...tag(g) });
    }
    if (t.error) {
      const text = single ? '[error]' : `[${g.label}:error]`;
      out.push({ kind: 'error', engineId: t.engine_id, text, error: t.error, ...tag(g) });
    }
  };

  if (single || groupby === 'engine' || groupby === 'first') {
    for (const g of groups) {
      stream(g, 'stdout');
      stream(g, 'stderr');
      if ((g.task.outputs.length && !resultOnly) || g.task.execute_result) {
        header(g);
      }
      if (!resultOnly) {
        displays(g);
      }
      result(g);
    }
  } else {
    groups.forEach(g => stream(g, 'stdout'));
    groups.forEach(g => stream(g, 'stderr'));
    if (!resultOnly && groupby === 'order') {
      const rounds = Math.max(0, ...groups.map(g => g.task.outputs.length));
      for (let i = 0; i < rounds; i++) {
        for (const g of groups) {
          if (i < g.task.outputs.length) {
            header(g);
            displays(g, [g.task.outputs[i]]);
          }
        }
      }
    } else if (!resultOnly) {
      for (const g of groups) {
        if (g.task.outputs.length) {
          header(g);
        }
        displays(g);
      }
    }
    groups.forEach(result);
  }
  if (hidden > 0) {
    out.push({
      kind: 'hidden',
      engineId: null,
      count: hidden,
      text: `(outputs of ${hidden} more engine(s) hidden: merge shows all)`
    });
  }
  return out;
}

/** `0-3,5` for [0, 1, 2, 3, 5]: how `merge` labels a group of engines. */
export function engineRanges(ids: Iterable<number>): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) {
      j++;
    }
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * An execute_result as ipyparallel displays it (its ExecuteReply): the
 * text/plain behind an `Out[engine:count]: ` prompt, a multi-line repr
 * starting on the next line; other mime types as they are.
 */
export function withPrompt(t: ITaskOutputs): IMimeBundle {
  const { execution_count: count, ...bundle } = t.execute_result!;
  const text = bundle.data['text/plain'];
  if (typeof text !== 'string' || !text || count === undefined) {
    return bundle;
  }
  const body = text.includes('\n') && !text.startsWith('\n') ? `\n${text}` : text;
  return {
    data: { ...bundle.data, 'text/plain': `Out[${t.engine_id}:${count}]: ${body}` },
    metadata: bundle.metadata
  };
}

/**
 * The stream items as ipyparallel prints them: a prefix line only when
 * the prefix changes, and a newline before it when the last text did not
 * end with one.
 */
export function formatStreams(items: ReadonlyArray<OutputItem>, name: 'stdout' | 'stderr'): string {
  let text = '';
  let lastPrefix = '';
  let trailingNewline = true;
  for (const item of items) {
    if (item.kind !== 'stream' || item.name !== name || !item.text) {
      continue;
    }
    let prefix = item.prefix;
    if (prefix && prefix === lastPrefix) {
      prefix = '';
    } else if (prefix) {
      lastPrefix = prefix;
    }
    const pre = prefix && !trailingNewline ? '\n' : '';
    const sep = prefix ? '\n' : '';
    trailingNewline = item.text.endsWith('\n');
    text += `${pre}${prefix}${sep}${item.text}`;
  }
  return text;
}

namespace Private {
  /** Tasks drawn under one label: one engine, or (merge) several alike. */
  export interface IGroup {
    task: ITaskOutputs;
    label: string;
    engines?: number[];
  }

  /** What two tasks must share to be shown once by `merge`. */
  function key(t: ITaskOutputs): string {
    const result = t.execute_result ? t.execute_result.data : null;
    const error = t.error ? [t.error.ename, t.error.evalue] : null;
    return JSON.stringify([
      t.stdout,
      t.stderr,
      t.outputs.map(o => o.data),
      result,
      error,
      t.stdout_truncated,
      t.stderr_truncated
    ]);
  }

  /** Tasks with identical outputs folded into one group, in first-seen order. */
  export function merge(tasks: ReadonlyArray<ITaskOutputs>): IGroup[] {
    const byKey = new Map<string, ITaskOutputs[]>();
    for (const t of tasks) {
      const k = key(t);
      const members = byKey.get(k);
      if (members) {
        members.push(t);
      } else {
        byKey.set(k, [t]);
      }
    }
    return [...byKey.values()].map(members => {
      const engines = members.map(m => m.engine_id).filter((e): e is number => e !== null);
      return {
        task: members[0],
        label: engineRanges(engines) || String(members[0].engine_id),
        engines
      };
    });
  }
}
