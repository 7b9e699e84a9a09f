import type { AsyncResult } from '../core/asyncResult';
import type { ISubmitter, Targets } from './clientContext';

export type { Targets };

/** Options of `execute` on any view. */
export interface IExecuteOptions {
  /** Run without storing history or showing results (ipyparallel's default: true). */
  silent?: boolean;
  /** A label the hub stores with the task. */
  label?: string | null;
}

/**
 * Runs code on chosen engines, one task per engine (ipyparallel's
 * DirectView): `client.directView([0, 1]).execute('x = 1')`.
 */
export class DirectView {
  constructor(
    readonly client: ISubmitter,
    readonly targets: Targets = 'all'
  ) {}

  /**
   * Run Python code on the view's engines; resolves nothing itself: the
   * AsyncResult follows the tasks. Code strings need no pickling.
   */
  execute(code: string, options: IExecuteOptions = {}): AsyncResult {
    const ids = this.client.resolveTargets(this.targets);
    return this.client.submit({
      content: Private.content(code, options),
      metadata: { label: options.label ?? null },
      routes: ids.map(id => this.client.engineUuid(id)!),
      balanced: false,
      targets: typeof this.targets === 'number' ? ids[0] : ids,
      single: typeof this.targets === 'number'
    });
  }
}

/** Options of a load-balanced `execute`: ipyparallel's task metadata. */
export interface IBalancedOptions extends IExecuteOptions {
  /** msg_ids that must finish first (anywhere). */
  after?: string[];
  /** msg_ids whose engine this task must run on. */
  follow?: string[];
  /** Seconds the scheduler may wait for dependencies. */
  timeout?: number | null;
  /** Times to retry on another engine after a failure. */
  retries?: number;
}

/**
 * Runs each code string on whichever engine the task scheduler picks
 * (ipyparallel's LoadBalancedView), optionally among `targets` only.
 */
export class LoadBalancedView {
  constructor(
    readonly client: ISubmitter,
    readonly targets: number[] | null = null
  ) {}

  /** Run Python code on one engine the scheduler chooses. */
  execute(code: string, options: IBalancedOptions = {}): AsyncResult {
    const uuids = (this.targets ?? []).map(id => {
      const uuid = this.client.engineUuid(id);
      if (!uuid) {
        throw new RangeError(`no such engine: ${id}`);
      }
      return uuid;
    });
    return this.client.submit({
      content: Private.content(code, options),
      metadata: {
        after: options.after ?? [],
        follow: options.follow ?? [],
        timeout: options.timeout ?? null,
        targets: uuids,
        retries: options.retries ?? 0,
        label: options.label ?? null
      },
      routes: [null],
      balanced: true,
      targets: null,
      single: true
    });
  }
}

namespace Private {
  /** An execute_request's content, as ipyparallel 9's client sends it. */
  export function content(code: string, options: IExecuteOptions): Record<string, unknown> {
    if (typeof code !== 'string') {
      throw new TypeError(`code must be text, not ${typeof code}`);
    }
    return { code, silent: options.silent ?? true, user_expressions: {} };
  }
}
