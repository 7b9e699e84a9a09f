import type { AsyncResult } from '../core/asyncResult';
import type { IResultRecord } from '../core/protocol';
import type { Session } from './session';
import type { TaskBook } from './taskBook';

/**
 * The narrow views of the Client that its parts are given, so that each
 * part (hub queries, request answers, the controller watch, the views)
 * depends on what it uses, not on Client, and can be tested with a fake:
 * Client implements them all and only assembles the parts.
 */

/** Engines to run on: 'all', one id (negative counts from the end), or a list. */
export type Targets = 'all' | number | number[];

/** What every part shares: the task book, the timeout, the engines. */
export interface IClientContext {
  /** Every task the client sent or looked up. */
  readonly book: TaskBook;
  /** Seconds any request waits for the controller. */
  readonly requestTimeout: number;
  readonly isDisposed: boolean;
  /** An engine's id from its uuid, once registered. */
  engineId(uuid: string): number | null;
  /** A registered engine's uuid. */
  engineUuid(id: number): string | undefined;
}

/** A request on the query or control channel (ControllerTransport.request). */
export interface IControllerRequests {
  request(
    channel: 'query' | 'control',
    msgType: string,
    content?: Record<string, unknown>,
    options?: { idents?: Buffer[]; timeout?: number }
  ): Promise<Session.IMessage>;
}

/** What HubQueries needs: a way to ask the hub, and to hand out results. */
export interface IHubContext extends IClientContext {
  readonly transport: IControllerRequests;
  /** Put a result made from hub records into the store; its proxy. */
  addResult(record: Omit<IResultRecord, 'id'>, tasks: TaskBook.ITask[]): AsyncResult;
}

/** The hub's answers the other parts use (HubQueries implements them). */
export interface IHubAnswers {
  /** The hub's queue_request, as ipyparallel's queue_status (targets as the hub takes them). */
  queueStatus(
    targets?: number[] | number | string | null,
    verbose?: boolean
  ): Promise<Record<string, unknown>>;
  resultStatus(msgIds: string[]): Promise<{ pending: string[]; completed: string[] }>;
  fetchResults(msgIds: string[]): Promise<{ pending: string[]; completed: string[] }>;
  /** Run finished tasks again (the hub's resubmit): the new tasks, as an AsyncHubResult. */
  resubmit(msgIds: string[]): Promise<AsyncResult>;
}

/** What ClientRequests needs: the hub, and abort. */
export interface IRequestsContext extends IClientContext {
  readonly hub: IHubAnswers;
  abort(msgIds: string[], targets: Targets): Promise<void>;
  /** Signal engines (ipyparallel's send_signal): SIGINT stops what they run. */
  sendSignal(sig: string | number, targets: Targets): Promise<void>;
}

/** What ControllerWatch needs: the book (its store's controller state) and the hub. */
export interface IWatchContext extends Pick<IClientContext, 'book' | 'isDisposed'> {
  readonly hub: Pick<IHubAnswers, 'queueStatus'>;
}

/** What a view hands to `submit`. */
export interface ISubmission {
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** One entry per task: an engine uuid (direct) or null (load-balanced). */
  routes: Array<string | null>;
  balanced: boolean;
  targets: number[] | number | null;
  single: boolean;
}

/** What the views need: engines, and a way to send tasks as one AsyncResult. */
export interface ISubmitter {
  resolveTargets(targets: Targets): number[];
  engineUuid(id: number): string | undefined;
  submit(request: ISubmission): AsyncResult;
}
