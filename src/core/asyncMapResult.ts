import { AsyncResult } from './asyncResult';
import { decodeValue } from './values';
import { ConnectionLostError, RemoteError } from './errors';
import type { IErrorInfo, IValue } from './protocol';

const FINISHED = new Set(['done', 'error', 'aborted']);

type Chunk = { status: 'ok'; value: IValue } | { status: 'error'; error: IErrorInfo };

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

  /** Elements in submission order, each task's as soon as it is there. */
  async *ordered(): AsyncGenerator<unknown, void, undefined> {
    for (const msgId of this.msgIds) {
      await this._finished([msgId]);
      yield* this._elements(await this._chunks([msgId]), [msgId]);
    }
  }

  /** Elements task by task, in the order the tasks finish. */
  async *unordered(): AsyncGenerator<unknown, void, undefined> {
    const pending = new Set(this.msgIds);
    while (pending.size) {
      const ready = await this._finished(Array.from(pending), true);
      ready.forEach(m => pending.delete(m));
      yield* this._elements(await this._chunks(ready), ready);
    }
  }

  /** Wait until all (or, with `any`, some) of `msgIds` have finished. */
  private async _finished(msgIds: string[], any = false): Promise<string[]> {
    const done = () => msgIds.filter(m => FINISHED.has(this.store.task(m)?.status ?? ''));
    const enough = () => (any ? done().length > 0 : done().length === msgIds.length);
    if (!(await this.until(enough))) {
      this._throwIfLost('iterate');
      throw new ConnectionLostError('iterate: the AsyncMapResult was disposed');
    }
    return done();
  }

  private async _chunks(msgIds: string[]): Promise<Record<string, Chunk>> {
    return (await this._request('get_chunks', { msg_ids: msgIds })) as Record<string, Chunk>;
  }

  private *_elements(
    chunks: Record<string, Chunk>,
    msgIds: string[]
  ): Generator<unknown, void, undefined> {
    for (const msgId of msgIds) {
      const chunk = chunks[msgId];
      if (chunk.status === 'error') {
        throw new RemoteError(chunk.error);
      }
      const value = decodeValue(chunk.value);
      if (Array.isArray(value)) {
        yield* value;
      } else {
        yield value;
      }
    }
  }
}
