import { AsyncResult } from './asyncResult';
import { decodeValue } from './values';
import { BridgeError, RemoteError, TimeoutError } from './errors';
import type { IErrorInfo, IValue } from './protocol';

/**
 * The twin of an ipyparallel AsyncHubResult: results of tasks this kernel's
 * client did not submit (or no longer caches), which only the hub knows.
 * Its readiness is learnt by asking the hub through the bridge, so `get`
 * and `spin` go to the kernel instead of waiting on the task store.
 */
export class AsyncHubResult extends AsyncResult {
  /**
   * The result from the hub, waiting up to `timeout` seconds (at most 60,
   * in the kernel) for it, or with no timeout as long as the Node client's
   * controller answers; rejects like AsyncResult.get.
   */
  async get(timeout = -1): Promise<unknown> {
    let reply: { status: 'ok' | 'error'; value?: IValue; error?: IErrorInfo };
    try {
      // no timeout: wait as Python does, where the requester can (`wait`)
      reply = (await this._request('get_value', {
        timeout: Math.max(0, timeout),
        ...(timeout < 0 ? { wait: true } : {})
      })) as typeof reply;
    } catch (reason) {
      if (reason instanceof BridgeError && /not ready/.test(reason.message)) {
        throw new TimeoutError(`get: the hub has no result after ${Math.max(0, timeout)} s`);
      }
      throw reason;
    }
    if (reply.status === 'error') {
      throw new RemoteError(reply.error!);
    }
    return decodeValue(reply.value!);
  }

  /** Ask the hub now whether the tasks finished (the role of `spin`). */
  async spin(): Promise<boolean> {
    try {
      await this.get(0);
      return true;
    } catch (reason) {
      if (reason instanceof TimeoutError) {
        return false;
      }
      if (reason instanceof RemoteError) {
        return true; // finished, with an error
      }
      throw reason;
    }
  }
}
