import { AsyncHubResult } from './asyncHubResult';
import { AsyncMapResult } from './asyncMapResult';
import { AsyncResult } from './asyncResult';
import type { IRequester } from './protocol';
import type { TaskStore } from './taskStore';

/** The proxy class that fits a result record's kind. */
export function createAsyncResult(
  store: TaskStore,
  id: string,
  requester?: IRequester
): AsyncResult {
  switch (store.result(id)?.kind) {
    case 'AsyncMapResult':
      return new AsyncMapResult(store, id, requester);
    case 'AsyncHubResult':
      return new AsyncHubResult(store, id, requester);
    default:
      return new AsyncResult(store, id, requester);
  }
}

AsyncResult.factory = createAsyncResult;
