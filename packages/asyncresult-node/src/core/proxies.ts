import { AsyncHubResult } from './asyncHubResult';
import { AsyncMapResult } from './asyncMapResult';
import { AsyncResult } from './asyncResult';
import type { IRequester } from './protocol';
import type { TaskStore } from './taskStore';

/**
 * The proxy class that fits a result record's kind; the results it makes
 * (split, join, resubmit) are made by this factory too.
 */
export function createAsyncResult(
  store: TaskStore,
  id: string,
  requester?: IRequester
): AsyncResult {
  const options = { factory: createAsyncResult };
  switch (store.result(id)?.kind) {
    case 'AsyncMapResult':
      return new AsyncMapResult(store, id, requester, options);
    case 'AsyncHubResult':
      return new AsyncHubResult(store, id, requester, options);
    default:
      return new AsyncResult(store, id, requester, options);
  }
}
