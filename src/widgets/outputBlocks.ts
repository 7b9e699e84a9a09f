import type { TranslationBundle } from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { engineRanges, type IMimeBundle, type OutputItem } from 'jupyterlab-asyncresult-node/core';

/** Characters of a stream block shown before "show more" (a 5 MB line stays cheap). */
export const STREAM_CAP = 20000;
/** Lines of a stream block shown before "show more". */
export const LINE_CAP = 400;
/**
 * What all stream blocks together show at first: with many engines each
 * block gets its share (at least MIN_LINES lines), so 64 engines of 1,000
 * lines draw quickly and the page stays scrollable; "show more" gives more.
 */
export const TOTAL_CHARS = 200000;
/** Lines all stream blocks together show at first (shared as TOTAL_CHARS is). */
export const TOTAL_LINES = 4000;
const MIN_LINES = 20;
/** Displays and results of a block shown before "show more". */
export const DISPLAY_CAP = 20;

/**
 * Draws grouped output items as labelled blocks (`[stdout:3]`, `[output:3]`,
 * `[3:error]`): consecutive items under the same label share a block whose
 * label folds that engine everywhere and whose button copies its text.
 * Rendered displays are kept between draws, so a live redraw does not
 * render an engine's image or HTML again.
 */
export class OutputBlocks implements IDisposable {
  constructor(options: OutputBlocks.IOptions) {
    this._options = options;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    this._isDisposed = true;
    this._rendered.clear();
  }

  /** Replace what the host shows with `items`. */
  draw(items: ReadonlyArray<OutputItem>, how: OutputBlocks.IDraw): void {
    const { host } = this._options;
    const fragment = document.createDocumentFragment();
    const used = new Map<string, HTMLElement>();
    const blocks = Private.blocks(items);
    const texts = Math.max(1, blocks.filter(b => b.kind === 'stream' || b.kind === 'error').length);
    this._lineCap = Math.max(MIN_LINES, Math.min(LINE_CAP, Math.floor(TOTAL_LINES / texts)));
    this._charCap = Math.max(
      MIN_LINES * 100,
      Math.min(STREAM_CAP, Math.floor(TOTAL_CHARS / texts))
    );
    for (const block of blocks) {
      fragment.appendChild(this._block(block, how, used));
    }
    if (!blocks.length) {
      const empty = document.createElement('div');
      empty.className = 'jp-AsyncResultOutputs-empty';
      empty.textContent = how.empty;
      fragment.appendChild(empty);
    }
    this._rendered = used;
    host.replaceChildren(fragment);
  }

  private _block(
    block: Private.IBlock,
    how: OutputBlocks.IDraw,
    used: Map<string, HTMLElement>
  ): HTMLElement {
    const { trans } = this._options;
    const node = document.createElement('section');
    node.className = `jp-AsyncResultOutputs-block jp-mod-${block.kind}`;
    if (block.items[0].kind === 'stream') {
      node.classList.add(`jp-mod-${block.items[0].name}`);
    }
    node.dataset.engine = block.engine;
    const collapsed = block.engine !== '' && how.collapsed.has(block.engine);
    if (block.label) {
      const head = document.createElement('div');
      head.className = 'jp-AsyncResultOutputs-label';
      const toggle = document.createElement('button');
      toggle.className = 'jp-AsyncResultOutputs-toggle';
      toggle.textContent = `${collapsed ? '▸' : '▾'} ${block.label}`;
      toggle.title = collapsed
        ? trans.__('Show the output of engine %1', block.engine)
        : trans.__('Fold the output of engine %1', block.engine);
      toggle.setAttribute('aria-expanded', String(!collapsed));
      toggle.addEventListener('click', () => this._options.onToggle(block.engine));
      head.appendChild(toggle);
      if (block.engine !== '') {
        const copy = document.createElement('button');
        copy.className = 'jp-AsyncResultOutputs-copy';
        copy.textContent = trans.__('Copy');
        copy.title = trans.__('Copy the text output of engine %1', block.engine);
        copy.addEventListener('click', () => {
          void navigator.clipboard?.writeText(how.copyText(block.engine)).catch(() => undefined);
        });
        head.appendChild(copy);
      }
      node.appendChild(head);
    }
    if (collapsed) {
      node.classList.add('jp-mod-collapsed');
      return node;
    }
    const capKey = `${block.kind}:${block.label}`;
    const factor = this._more.get(capKey) ?? 1;
    let cut = false;
    if (block.kind === 'stream' || block.kind === 'error') {
      const text = block.items
        .map(i =>
          i.kind === 'stream'
            ? i.text
            : i.kind === 'error'
              ? Private.errorText(i.error)
              : i.kind === 'hidden'
                ? i.text
                : ''
        )
        .join('');
      // cap first: colour codes are stripped from what shows, not from 5 MB
      const capped = Private.cap(text, this._charCap * factor, this._lineCap * factor);
      cut = capped.length < text.length;
      const pre = document.createElement('pre');
      pre.className = 'jp-AsyncResultOutputs-text';
      pre.textContent = Private.plain(capped);
      node.appendChild(pre);
      if (block.items.some(i => i.kind === 'stream' && i.truncated)) {
        node.appendChild(this._note(trans.__('(the start of this stream was cut by the kernel)')));
      }
    } else {
      let count = 0;
      for (const item of block.items) {
        if (item.kind === 'display' || item.kind === 'result') {
          if (count >= DISPLAY_CAP * factor) {
            cut = true;
            break;
          }
          count++;
          const key = `${block.label}#${count}#${JSON.stringify(item.bundle)}`;
          let el = this._rendered.get(key);
          if (!el) {
            el = document.createElement('div');
            el.className = `jp-AsyncResultOutputs-${item.kind}`;
            this._options.renderBundle(item.bundle, el);
          }
          used.set(key, el);
          node.appendChild(el);
        } else if (item.kind === 'truncated' || item.kind === 'hidden') {
          node.appendChild(this._note(item.text));
        }
      }
    }
    if (cut) {
      const more = document.createElement('button');
      more.className = 'jp-AsyncResultOutputs-more';
      more.textContent = trans.__('Show more');
      more.addEventListener('click', () => {
        this._more.set(capKey, factor * 5);
        this._options.onMore();
      });
      node.appendChild(more);
    }
    return node;
  }

  private _note(text: string): HTMLElement {
    const note = document.createElement('div');
    note.className = 'jp-AsyncResultOutputs-note';
    note.textContent = text;
    return note;
  }

  private _options: OutputBlocks.IOptions;
  private _rendered = new Map<string, HTMLElement>();
  private _more = new Map<string, number>();
  private _charCap = STREAM_CAP;
  private _lineCap = LINE_CAP;
  private _isDisposed = false;
}

/** Types that go with OutputBlocks. */
export namespace OutputBlocks {
  export interface IOptions {
    trans: TranslationBundle;
    host: HTMLElement;
    renderBundle(bundle: IMimeBundle, host: HTMLElement): void;
    /** The user folded or unfolded an engine (its label: `3` or `0-3`). */
    onToggle(engine: string): void;
    /** The user asked for more of a capped block: draw again. */
    onMore(): void;
  }

  /** What one draw needs besides the items. */
  export interface IDraw {
    collapsed: ReadonlySet<string>;
    copyText(engine: string): string;
    /** Shown when there is nothing to draw. */
    empty: string;
  }
}

namespace Private {
  /** Consecutive items under one label. */
  export interface IBlock {
    kind: 'stream' | 'output' | 'error' | 'note';
    /** `[stdout:3]`, `[output:0-3]`, `[3:error]`, or '' */
    label: string;
    /** The engine label that folds it (`3`, `0-3`), '' for none. */
    engine: string;
    items: OutputItem[];
  }

  function engineOf(item: { engineId: number | null; engines?: number[] }): string {
    if (item.engines && item.engines.length > 1) {
      return engineRanges(item.engines);
    }
    return item.engineId === null ? '' : String(item.engineId);
  }

  /** Group items into labelled blocks, in order. */
  export function blocks(items: ReadonlyArray<OutputItem>): IBlock[] {
    const out: IBlock[] = [];
    for (const item of items) {
      let kind: IBlock['kind'];
      let label: string;
      let engine = '';
      if (item.kind === 'hidden') {
        kind = 'note';
        label = '';
      } else {
        engine = engineOf(item);
        if (item.kind === 'stream') {
          kind = 'stream';
          label = item.prefix ? item.prefix.trim() : `[${item.name}]`;
        } else if (item.kind === 'error') {
          kind = 'error';
          label = item.text;
        } else {
          kind = 'output';
          label = engine === '' ? '[output]' : `[output:${engine}]`;
        }
      }
      const last = out[out.length - 1];
      if (last && last.label === label && last.kind === kind && kind !== 'note') {
        last.items.push(item);
      } else {
        out.push({ kind, label, engine, items: [item] });
      }
    }
    // a header with nothing after it under its label draws nothing
    return out.filter(b => b.items.some(i => i.kind !== 'header'));
  }

  /** Text without terminal colour codes (tracebacks carry them). */
  export function plain(text: string): string {
    // eslint-disable-next-line no-control-regex
    return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
  }

  /** At most `chars` characters and `lines` lines of `text`, found without splitting it all. */
  export function cap(text: string, chars: number, lines: number): string {
    let end = Math.min(text.length, chars);
    let seen = 0;
    let at = text.indexOf('\n');
    while (at !== -1 && at < end) {
      if (++seen >= lines) {
        end = at + 1;
        break;
      }
      at = text.indexOf('\n', at + 1);
    }
    return text.slice(0, end);
  }

  export function errorText(error: {
    ename: string;
    evalue: string;
    traceback?: string | null;
  }): string {
    // ipyparallel's remote traceback already ends with `ename: evalue`
    return error.traceback ? `${error.traceback}\n` : `${error.ename}: ${error.evalue}\n`;
  }
}
