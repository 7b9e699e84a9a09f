/**
 * What tasks printed and displayed, and how to group it the way
 * ipyparallel's `display_outputs(groupby)` does.
 */

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
}

/** How to order the outputs of many tasks. */
export type GroupBy = 'type' | 'engine' | 'order';

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
    }
  | { kind: 'header'; engineId: number | null; text: string }
  | {
      kind: 'display' | 'result';
      engineId: number | null;
      bundle: IMimeBundle;
    }
  | { kind: 'truncated'; engineId: number | null; text: string };

/**
 * Order tasks' outputs as ipyparallel's display_outputs: by `type` (all
 * stdout, then all stderr, then displays engine by engine, then results),
 * by `engine` (everything of one engine before the next), or by `order`
 * (like type, but the i-th displays of every engine together).
 * A single result has no prefixes. `resultOnly` keeps only the results.
 */
export function groupOutputs(
  tasks: ReadonlyArray<ITaskOutputs>,
  groupby: GroupBy = 'type',
  options: { single?: boolean; resultOnly?: boolean } = {}
): OutputItem[] {
  const { single = false, resultOnly = false } = options;
  const out: OutputItem[] = [];
  const stream = (t: ITaskOutputs, name: 'stdout' | 'stderr') => {
    if (!resultOnly && t[name]) {
      out.push({
        kind: 'stream',
        name,
        engineId: t.engine_id,
        prefix: single ? '' : `[${name}:${t.engine_id}] `,
        text: t[name],
        truncated: t[`${name}_truncated`]
      });
    }
  };
  const header = (t: ITaskOutputs) => {
    if (!single) {
      out.push({ kind: 'header', engineId: t.engine_id, text: `[output:${t.engine_id}]` });
    }
  };
  const displays = (t: ITaskOutputs, which: IMimeBundle[] = t.outputs) => {
    for (const bundle of which) {
      out.push({ kind: 'display', engineId: t.engine_id, bundle });
    }
    if (which === t.outputs && t.outputs_truncated) {
      out.push({
        kind: 'truncated',
        engineId: t.engine_id,
        text: `[output:${t.engine_id}] more displays were cut`
      });
    }
  };
  const result = (t: ITaskOutputs) => {
    if (t.execute_result) {
      out.push({ kind: 'result', engineId: t.engine_id, bundle: withPrompt(t) });
    }
  };

  if (single || groupby === 'engine') {
    for (const t of tasks) {
      stream(t, 'stdout');
      stream(t, 'stderr');
      if ((t.outputs.length && !resultOnly) || t.execute_result) {
        header(t);
      }
      if (!resultOnly) {
        displays(t);
      }
      result(t);
    }
    return out;
  }
  if (groupby !== 'type' && groupby !== 'order') {
    throw new Error(`groupby must be one of 'type', 'engine', 'order', not '${groupby}'`);
  }
  tasks.forEach(t => stream(t, 'stdout'));
  tasks.forEach(t => stream(t, 'stderr'));
  if (!resultOnly) {
    if (groupby === 'order') {
      const rounds = Math.max(0, ...tasks.map(t => t.outputs.length));
      for (let i = 0; i < rounds; i++) {
        for (const t of tasks) {
          if (i < t.outputs.length) {
            header(t);
            displays(t, [t.outputs[i]]);
          }
        }
      }
    } else {
      for (const t of tasks) {
        if (t.outputs.length) {
          header(t);
        }
        displays(t);
      }
    }
  }
  tasks.forEach(result);
  return out;
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
