import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { ITaskOutputs } from './outputs';
import type { ITaskRecord } from './protocol';

/** A piece of a task's stdout or stderr, as it arrives. */
export interface IStreamChunk {
  msgId: string;
  engineId: number | null;
  name: 'stdout' | 'stderr';
  text: string;
}

/**
 * Follows the stdout and stderr of a result's tasks while they run (the
 * role of ipyparallel's `stream_output`): each change in a task's stream
 * size asks the bridge for what follows the offsets seen so far, so every
 * character is given once, in order. One request at a time.
 */
export class OutputStream implements IDisposable {
  constructor(
    private readonly _result: OutputStream.ISource,
    private readonly _onChunk: (chunk: IStreamChunk) => void,
    private readonly _fetch: (
      offsets: Record<string, { stdout: number; stderr: number }>
    ) => Promise<ITaskOutputs[]>
  ) {
    this.done = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    _result.changed.connect(this._poke, this);
    this._poke();
  }

  /** Settles when every output has arrived and been given (or on dispose). */
  readonly done: Promise<void>;

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._result.changed.disconnect(this._poke, this);
    this._resolve();
  }

  private _behind(): boolean {
    return this._result.tasks().some(t => {
      if (!t) {
        return false;
      }
      const seen = this._offsets[t.msg_id];
      return (t.stream_size ?? 0) > (seen ? seen.stdout + seen.stderr : 0);
    });
  }

  private _complete(): boolean {
    return (
      this._result.ready() &&
      this._result.tasks().every(t => t?.output_done !== false) &&
      !this._behind()
    );
  }

  private _poke(): void {
    if (this._isDisposed) {
      return;
    }
    if (this._busy) {
      this._again = true;
      return;
    }
    if (this._behind()) {
      void this._pull();
    } else if (this._complete()) {
      this.dispose();
    }
  }

  private async _pull(): Promise<void> {
    this._busy = true;
    let progressed = false;
    try {
      do {
        this._again = false;
        const offsets = Object.fromEntries(
          Object.entries(this._offsets).map(([m, o]) => [m, { ...o }])
        );
        const tasks = await this._fetch(offsets);
        if (this._isDisposed) {
          return;
        }
        for (const t of tasks) {
          if (!t.msg_id) {
            continue;
          }
          const seen = (this._offsets[t.msg_id] ??= { stdout: 0, stderr: 0 });
          for (const name of ['stdout', 'stderr'] as const) {
            if (t[name]) {
              progressed = true;
              seen[name] += t[name].length;
              this._onChunk({ msgId: t.msg_id, engineId: t.engine_id, name, text: t[name] });
            }
            if (t[`${name}_truncated`]) {
              this._again = true; // more than one reply's worth: ask again
            }
          }
        }
      } while (this._again && !this._isDisposed);
    } catch (reason) {
      this._isDisposed = true;
      this._result.changed.disconnect(this._poke, this);
      this._reject(reason as Error);
      return;
    } finally {
      this._busy = false;
    }
    if (progressed || this._complete()) {
      this._poke();
    }
    // else: nothing new came; the next change of the result pokes again,
    // rather than asking the kernel in a tight loop
  }

  private _offsets: Record<string, { stdout: number; stderr: number }> = {};
  private _busy = false;
  private _again = false;
  private _isDisposed = false;
  private _resolve!: () => void;
  private _reject!: (reason: Error) => void;
}

/** The OutputStream's collaborators. */
export namespace OutputStream {
  /** What a stream reads of the result it follows (an AsyncResult is one). */
  export interface ISource {
    /** Emits whenever the result's tasks may have changed. */
    readonly changed: ISignal<unknown, void>;
    /** The result's task records, in msg_id order (undefined: not known yet). */
    tasks(): ReadonlyArray<ITaskRecord | undefined>;
    /** Whether every task of the result has finished. */
    ready(): boolean;
  }
}
