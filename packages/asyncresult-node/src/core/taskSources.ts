import type { ISignal } from '@lumino/signaling';
import type { IRequester } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * Where a source stands with its bridge:
 * - connecting: waiting for the kernel or the first snapshot
 * - live: synced with the bridge
 * - unavailable: no bridge there (or not a Python kernel)
 * - closed: the comm or the kernel went away
 */
export type TaskSourceState = 'connecting' | 'live' | 'unavailable' | 'closed';

/**
 * One place AsyncResults come from, as every view sees it: a kernel's
 * bridge in JupyterLab, or anything else that fills a TaskStore and answers
 * requests. The views depend on this, never on how it is fed.
 */
export interface ITaskSource extends IRequester {
  /** Stable while the source lives (the kernel's id in JupyterLab). */
  readonly id: string;
  /** The results and tasks, live. */
  readonly store: TaskStore;
  readonly state: TaskSourceState;
  /** Why the state is what it is, in words for the user ('' when live and well). */
  readonly detail: string;
  /**
   * Requests are answered while a cell runs (ipykernel 7's subshells);
   * false means they wait for the running cell to end.
   */
  readonly supportsSubshells: boolean;
  /** A cell runs there now (so requests may wait, see supportsSubshells). */
  readonly busy: boolean;
  /**
   * What the source lost and why, in words for the user, after its kernel
   * died or restarted ('' while nothing was lost).
   */
  readonly lostWork: string;
  readonly stateChanged: ISignal<ITaskSource, TaskSourceState>;
  /** Emitted once when the source goes away for good. */
  readonly disposed: ISignal<ITaskSource, void>;
  readonly isDisposed: boolean;
}

/** A source with the documents that use it, in the order they were opened. */
export interface ITaskSourceEntry {
  source: ITaskSource;
  /** Short names of the documents (file names), for the eye. */
  names: string[];
  /** Their paths from the server's root, which tell same-named files apart. */
  paths: string[];
}

/** Every source a view can show, and when that set changes. */
export interface ITaskSources {
  /** Emitted when a source is added or removed. */
  readonly changed: ISignal<ITaskSources, void>;
  /** The sources now, in the order their documents were opened. */
  sources(): ITaskSourceEntry[];
  /** Paths of documents whose kernel was shut down and that have none now. */
  withoutKernel(): string[];
  /** The source of one id, if there is one. */
  source(id: string): ITaskSource | undefined;
}
