import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import {
  engineRanges,
  groupOutputs,
  GROUPINGS,
  type GroupBy,
  type IMimeBundle,
  type ITaskOutputs,
  type OutputItem
} from 'jupyterlab-asyncresult-node/core';
import { OutputBlocks } from './outputBlocks';

/**
 * The outputs of one AsyncResult, grouped by type, engine, order, merge or
 * first (switchable in place), with engine and stream filters, engines
 * that fold, a copy button per engine and capped texts with "show more".
 * Display bundles are drawn by the `renderBundle` it is given (rendermime,
 * untrusted unless the user trusts engine outputs). Redraws are coalesced:
 * however fast `setTasks` / `appendStream` come, it draws at most once per
 * animation frame.
 */
export class OutputsView extends Widget {
  constructor(options: OutputsView.IOptions) {
    super();
    this._trans = options.trans;
    this._groupby = options.groupby ?? 'type';
    this._single = options.single ?? false;
    this._resultOnly = options.resultOnly ?? false;
    this.addClass('jp-AsyncResultOutputs');
    this._toolbar = document.createElement('div');
    this._toolbar.className = 'jp-AsyncResultOutputs-toolbar';
    this._status = document.createElement('span');
    this._status.className = 'jp-AsyncResultOutputs-status';
    this._body = document.createElement('div');
    this._body.className = 'jp-AsyncResultOutputs-body';
    this.node.append(this._toolbar, this._body);
    this._blocks = new OutputBlocks({
      trans: options.trans,
      host: this._body,
      renderBundle: options.renderBundle,
      onToggle: engine => this._toggleEngine(engine),
      onMore: () => this._schedule()
    });
    this._buildToolbar();
  }

  /** How the outputs are grouped now. */
  get groupby(): GroupBy {
    return this._groupby;
  }

  set groupby(value: GroupBy) {
    if (value === this._groupby || !GROUPINGS.includes(value)) {
      return;
    }
    this._groupby = value;
    this._groupSelect.value = value;
    this._schedule();
  }

  /** The tasks' outputs so far (in msg_id order). */
  get tasks(): ReadonlyArray<ITaskOutputs> {
    return this._tasks;
  }

  /** Replace every task's outputs (a full fetch, or the saved bundle). */
  setTasks(tasks: ReadonlyArray<ITaskOutputs>): void {
    this._tasks = tasks.map(t => ({ ...t }));
    this._schedule();
  }

  /** Append text that a running task just printed, keeping its slot (so engine order holds). */
  appendStream(msgId: string, engineId: number | null, name: 'stdout' | 'stderr', text: string) {
    let task = this._tasks.find(t => t.msg_id === msgId);
    if (!task) {
      task = OutputsView.emptyTask(msgId, engineId);
      this._tasks.push(task);
    } else if (task.engine_id === null) {
      task.engine_id = engineId;
    }
    task[name] += text;
    this._schedule();
  }

  /** A line under the toolbar: live, finished, no kernel... ('' for none). */
  set status(text: string) {
    this._status.textContent = text;
  }

  /** Draw now rather than on the next frame (for tests and benches). */
  flush(): void {
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
      this._frame = null;
    }
    this._draw();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._frame !== null) {
      cancelAnimationFrame(this._frame);
    }
    this._blocks.dispose();
    super.dispose();
  }

  private _buildToolbar(): void {
    const trans = this._trans;
    const label = document.createElement('label');
    label.textContent = trans.__('Group by');
    this._groupSelect = document.createElement('select');
    this._groupSelect.className = 'jp-AsyncResultOutputs-groupby';
    const names: Record<GroupBy, string> = {
      type: trans.__('type'),
      engine: trans.__('engine'),
      order: trans.__('order'),
      merge: trans.__('merge identical'),
      first: trans.__('first engine')
    };
    for (const g of GROUPINGS) {
      const option = document.createElement('option');
      option.value = g;
      option.textContent = names[g];
      this._groupSelect.appendChild(option);
    }
    this._groupSelect.value = this._groupby;
    this._groupSelect.addEventListener('change', () => {
      this.groupby = this._groupSelect.value as GroupBy;
    });
    label.appendChild(this._groupSelect);
    this._toolbar.appendChild(label);

    const streams: Array<[OutputsView.Stream, string]> = [
      ['stdout', trans.__('stdout')],
      ['stderr', trans.__('stderr')],
      ['display', trans.__('displays')],
      ['result', trans.__('results')]
    ];
    for (const [stream, text] of streams) {
      const box = document.createElement('label');
      box.className = 'jp-AsyncResultOutputs-stream';
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = true;
      input.dataset.stream = stream;
      input.addEventListener('change', () => {
        if (input.checked) {
          this._hiddenStreams.delete(stream);
        } else {
          this._hiddenStreams.add(stream);
        }
        this._schedule();
      });
      box.append(input, text);
      this._toolbar.appendChild(box);
    }

    const engines = document.createElement('label');
    engines.textContent = trans.__('Engines');
    this._engineInput = document.createElement('input');
    this._engineInput.className = 'jp-AsyncResultOutputs-engines';
    this._engineInput.placeholder = trans.__('all (e.g. 0-3,5)');
    this._engineInput.size = 10;
    this._engineInput.addEventListener('input', () => {
      this._engineFilter = OutputsView.parseEngines(this._engineInput.value);
      this._engineInput.classList.toggle(
        'jp-mod-invalid',
        this._engineFilter === undefined && this._engineInput.value.trim() !== ''
      );
      this._schedule();
    });
    engines.appendChild(this._engineInput);
    this._toolbar.append(engines, this._status);
  }

  private _toggleEngine(engine: string): void {
    if (this._collapsed.has(engine)) {
      this._collapsed.delete(engine);
    } else {
      this._collapsed.add(engine);
    }
    this._schedule();
  }

  private _schedule(): void {
    if (this._frame === null && !this.isDisposed) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        this._draw();
      });
    }
  }

  private _draw(): void {
    if (this.isDisposed) {
      return;
    }
    const filter = this._engineFilter;
    const tasks = filter
      ? this._tasks.filter(t => t.engine_id !== null && filter.has(t.engine_id))
      : this._tasks;
    const items = groupOutputs(tasks, this._groupby, {
      single: this._single,
      resultOnly: this._resultOnly
    }).filter(item => this._shows(item));
    this._blocks.draw(items, {
      collapsed: this._collapsed,
      copyText: label => this._copyText(label),
      empty: this._tasks.some(
        t => t.stdout || t.stderr || t.outputs.length || t.execute_result || t.error
      )
        ? this._trans.__('No output matches the filters.')
        : this._trans.__('No output yet.')
    });
  }

  private _shows(item: OutputItem): boolean {
    const hidden = this._hiddenStreams;
    switch (item.kind) {
      case 'stream':
        return !hidden.has(item.name);
      case 'display':
      case 'truncated':
        return !hidden.has('display');
      case 'result':
        return !hidden.has('result');
      default:
        return true;
    }
  }

  /** An engine's (or merged group's) whole text output, for the clipboard. */
  private _copyText(label: string): string {
    const engines = new Set(
      label
        .split(',')
        .flatMap(part => {
          const [a, b] = part.split('-').map(Number);
          return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
        })
        .filter(n => !Number.isNaN(n))
    );
    const task = this._tasks.find(t => t.engine_id !== null && engines.has(t.engine_id));
    if (!task) {
      return '';
    }
    const parts = [task.stdout, task.stderr];
    for (const o of task.outputs) {
      parts.push(OutputsView.plainText(o));
    }
    if (task.execute_result) {
      parts.push(OutputsView.plainText(task.execute_result));
    }
    if (task.error) {
      parts.push(`${task.error.ename}: ${task.error.evalue}`);
    }
    return parts.filter(Boolean).join('\n');
  }

  private _trans: TranslationBundle;
  private _groupby: GroupBy;
  private _single: boolean;
  private _resultOnly: boolean;
  private _tasks: ITaskOutputs[] = [];
  private _toolbar: HTMLDivElement;
  private _status: HTMLSpanElement;
  private _body: HTMLDivElement;
  private _blocks: OutputBlocks;
  private _groupSelect!: HTMLSelectElement;
  private _engineInput!: HTMLInputElement;
  private _engineFilter: Set<number> | undefined = undefined;
  private _hiddenStreams = new Set<OutputsView.Stream>();
  private _collapsed = new Set<string>();
  private _frame: number | null = null;
}

/** Types and helpers that go with OutputsView. */
export namespace OutputsView {
  /** What the stream filter can hide. */
  export type Stream = 'stdout' | 'stderr' | 'display' | 'result';

  export interface IOptions {
    trans: TranslationBundle;
    /** Draw one display or result bundle into `host` (rendermime). */
    renderBundle(bundle: IMimeBundle, host: HTMLElement): void;
    groupby?: GroupBy;
    /** A single result: no `[stdout:n]` prefixes. */
    single?: boolean;
    /** Only the results (what `%px --stream` shows after streaming). */
    resultOnly?: boolean;
  }

  /** A task with no output yet. */
  export function emptyTask(msgId: string, engineId: number | null): ITaskOutputs {
    return {
      msg_id: msgId,
      engine_id: engineId,
      stdout: '',
      stdout_truncated: false,
      stderr: '',
      stderr_truncated: false,
      outputs: [],
      outputs_truncated: false,
      execute_result: null
    };
  }

  /** `0-3,5` as a set of engine ids; undefined for empty or unreadable text. */
  export function parseEngines(text: string): Set<number> | undefined {
    const ids = new Set<number>();
    for (const part of text.split(',').map(p => p.trim())) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!match) {
        return undefined;
      }
      const a = Number(match[1]);
      const b = match[2] === undefined ? a : Number(match[2]);
      if (b < a || b - a > 100000) {
        return undefined;
      }
      for (let i = a; i <= b; i++) {
        ids.add(i);
      }
    }
    return ids.size ? ids : undefined;
  }

  /** A bundle's text/plain, as a string. */
  export function plainText(bundle: IMimeBundle): string {
    const text = bundle.data['text/plain'];
    return typeof text === 'string' ? text : Array.isArray(text) ? text.join('') : '';
  }

  /** The label of a group of engines (`3`, or `0-3` when merged). */
  export function label(item: { engineId: number | null; engines?: number[] }): string {
    return item.engines && item.engines.length ? engineRanges(item.engines) : String(item.engineId);
  }
}
