import {
  type ISnapshotMessage,
  type ITaskRecord,
  parseBridgeMessage,
  PROTOCOL_VERSION,
  type TaskStore
} from 'jupyterlab-asyncresult-node/core';

/**
 * The last known state of a kernel's work, kept in the browser's storage
 * when a page goes away, so that the next page (a reload, a second tab) can
 * show it while a running cell keeps the kernel from answering. It is shown
 * as what it is: the state when the last page closed, not a live one.
 */
export namespace LastKnown {
  /** Past this many characters the state is not kept (storage holds ~5 MB). */
  export const MAX_CHARS = 2_000_000;

  /** How many tasks a store held when its state was last too big to keep. */
  const tooBigAt = new WeakMap<TaskStore, number>();

  /** The storage key of one kernel's state. */
  export function key(kernelId: string): string {
    return `jupyterlab-asyncresult:last-known:${kernelId}`;
  }

  /** Keep what `store` knows of a kernel; too big or no storage: nothing. */
  export function save(storage: Storage | null, kernelId: string, store: TaskStore): void {
    if (!storage || store.isDisposed || store.seq < 0) {
      return;
    }
    // A state found too big is not built again (every few seconds, while a
    // run goes on) until the store holds fewer tasks: building and encoding
    // 60,000 tasks took a third of a second each time, only to be dropped.
    const count = store.taskCount;
    const tooBig = tooBigAt.get(store);
    if (tooBig !== undefined && count >= tooBig) {
      return;
    }
    tooBigAt.delete(store);
    const results = store.results();
    const tasks: ITaskRecord[] = [];
    const seen = new Set<string>();
    for (const record of results) {
      for (const msgId of record.msg_ids) {
        const task = store.task(msgId);
        if (task && !seen.has(msgId)) {
          seen.add(msgId);
          tasks.push(task);
        }
      }
    }
    const message: ISnapshotMessage = {
      v: PROTOCOL_VERSION,
      type: 'snapshot',
      seq: store.seq,
      clock: store.kernelNow(),
      results,
      tasks,
      reply_to: null,
      bridge: { version: '', ipyparallel: null, session: store.session },
      controller: store.controller
    };
    try {
      const text = JSON.stringify(message);
      if (text.length > MAX_CHARS) {
        tooBigAt.set(store, count);
        storage.removeItem(key(kernelId));
        return;
      }
      storage.setItem(key(kernelId), text);
    } catch {
      // full or forbidden storage: the next page simply waits, as before
    }
  }

  /** The state a page kept of a kernel, checked like a bridge message. */
  export function load(storage: Storage | null, kernelId: string): ISnapshotMessage | null {
    try {
      const text = storage?.getItem(key(kernelId));
      if (!text) {
        return null;
      }
      const message = parseBridgeMessage(JSON.parse(text));
      return message.type === 'snapshot' ? message : null;
    } catch {
      return null;
    }
  }

  /** Forget a kernel's state (it restarted or shut down: the work is gone). */
  export function forget(storage: Storage | null, kernelId: string): void {
    try {
      storage?.removeItem(key(kernelId));
    } catch {
      // nothing kept, nothing to forget
    }
  }
}

/**
 * The bridge comms a browser tab opened, kept in the tab's session storage
 * (it survives a reload and is the tab's own). A page that loads names the
 * comms of the page before it when it opens its own, and the bridge closes
 * them: the close that page sent on `pagehide` may not have left before its
 * socket did.
 */
export namespace TabComms {
  /** The comms this page opened (the module lives as long as the page). */
  const opened = new Set<string>();

  /** The storage key of a kernel's comms in this tab. */
  export function key(kernelId: string): string {
    return `jupyterlab-asyncresult:comms:${kernelId}`;
  }

  /** The comms an earlier page of this tab opened to a kernel. */
  export function previous(storage: Storage | null, kernelId: string): string[] {
    return stored(storage, kernelId).filter(id => !opened.has(id));
  }

  /** Note a comm this page opened to a kernel, in place of the earlier pages' ones. */
  export function remember(storage: Storage | null, kernelId: string, commId: string): void {
    opened.add(commId);
    try {
      const mine = stored(storage, kernelId).filter(id => opened.has(id));
      storage?.setItem(key(kernelId), JSON.stringify([...mine, commId].slice(-8)));
    } catch {
      // no storage: the bridge's own limit on comms still holds
    }
  }

  /**
   * Forget the comms of every kernel: for a page that was not reloaded. A
   * duplicated tab starts with a copy of its origin's session storage, whose
   * comms are alive; naming them would cut that tab off.
   */
  export function forgetAll(storage: Storage | null): void {
    try {
      const ours = Array.from({ length: storage?.length ?? 0 }, (_, i) => storage!.key(i)).filter(
        k => k?.startsWith(key(''))
      );
      ours.forEach(k => storage!.removeItem(k!));
    } catch {
      // nothing kept
    }
  }

  /** Forget a kernel's comms (it shut down). */
  export function forget(storage: Storage | null, kernelId: string): void {
    try {
      storage?.removeItem(key(kernelId));
    } catch {
      // nothing kept
    }
  }

  /** The comm ids kept for a kernel in this tab; none when unreadable. */
  function stored(storage: Storage | null, kernelId: string): string[] {
    try {
      const ids: unknown = JSON.parse(storage?.getItem(key(kernelId)) ?? '[]');
      return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
    } catch {
      return [];
    }
  }
}
