import { AsyncResult } from './asyncResult';
import { BridgeError, errorFromInfo, TaskError, TimeoutError } from './errors';
import { decodeValue } from './values';

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
    let reply;
    try {
      // no timeout: wait as Python does, where the requester can (`wait`)
      reply = await this._request('get_value', {
        timeout: Math.max(0, timeout),
        ...(timeout < 0 ? { wait: true } : {})
      });
    } catch (reason) {
      if (reason instanceof BridgeError && /not ready/.test(reason.message)) {
        throw new TimeoutError(
          `get: the hub has no result after ${Math.max(0, timeout)} s`,
          this.where
        );
      }
      throw reason;
    }
    if (reply.status === 'error') {
      throw errorFromInfo(reply.error, this.where);
    }
    return decodeValue(reply.value);
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
      if (reason instanceof TaskError) {
        return true; // finished, with an error
      }
      throw reason;
    }
  }
}
