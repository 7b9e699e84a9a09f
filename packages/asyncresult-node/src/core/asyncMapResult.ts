import { AsyncResult } from './asyncResult';

/**
 * The twin of an ipyparallel AsyncMapResult: an async iterable over the
 * map's elements as they arrive, in submission order or as tasks finish
 * (ipyparallel's `ordered` flag; `ordered()` / `unordered()` choose).
 *
 * Elements that are not JSON arrive as one ResultRepr per task.
 */
export class AsyncMapResult extends AsyncResult {
  /** Iterate in the order ipyparallel would (`ordered` of the map). */
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return (this.record.ordered ?? true) ? this.ordered() : this.unordered();
  }

  /**
   * Elements in submission order, each task's as soon as it is there; a
   * failed task ends it with ipyparallel's CompositeError (a finished,
   * failed map yields nothing and rejects at once, as ipyparallel).
   */
  ordered(): AsyncGenerator<unknown, void, undefined> {
    return this._iterate(true, true);
  }

  /** Elements task by task, in the order the tasks finish; fails as `ordered`. */
  unordered(): AsyncGenerator<unknown, void, undefined> {
    return this._iterate(false, true);
  }
}
