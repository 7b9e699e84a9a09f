import type { Session } from './session';
import { nowSeconds, wireTime } from './wireTime';

/**
 * Which task each engine runs now, learnt from the engines' iopub `status`
 * messages (busy, then idle), which the controller forwards to every
 * client, whoever submitted the task. The hub cannot tell: it leaves a
 * task's `started` empty until the task completes.
 */
export class EngineActivity {
  /** One iopub message (any session's); `topic` is its first frame. */
  onIopub(topic: string, message: Session.IMessage): void {
    if (message.header.msg_type !== 'status') {
      return;
    }
    const match = Private.TOPIC.exec(topic);
    const parent = message.parent_header;
    // control requests (abort, kernel_info) also go busy: they are no tasks
    if (!match || !parent.msg_id || !Private.TASK_TYPES.has(String(parent.msg_type))) {
      return;
    }
    const engineId = Number(match[1]);
    this._seen.add(engineId);
    const state = message.content.execution_state;
    if (state === 'busy') {
      this._running.set(engineId, {
        msgId: parent.msg_id,
        started: wireTime(message.header.date) ?? nowSeconds()
      });
    } else if (state === 'idle' && this._running.get(engineId)?.msgId === parent.msg_id) {
      this._running.delete(engineId);
    }
  }

  /** An engine left: it runs nothing any more. */
  forget(engineId: number): void {
    this._running.delete(engineId);
  }

  /** The task an engine runs now, and since when (seconds since the epoch). */
  runningOn(engineId: number): EngineActivity.IRunning | undefined {
    return this._running.get(engineId);
  }

  /**
   * Whether a task of this engine started or ended since we connected: only
   * then does iopub tell the whole truth about what it runs.
   */
  hasSeen(engineId: number): boolean {
    return this._seen.has(engineId);
  }

  /** Every engine's current task, by engine id. */
  running(): ReadonlyMap<number, EngineActivity.IRunning> {
    return this._running;
  }

  private _running = new Map<number, EngineActivity.IRunning>();
  private _seen = new Set<number>();
}

/** Types that go with EngineActivity. */
export namespace EngineActivity {
  /** A task an engine started and has not finished. */
  export interface IRunning {
    msgId: string;
    started: number;
  }
}

namespace Private {
  /** ipyparallel engines publish under `engine.<id>.<what>`. */
  export const TOPIC = /^engine\.(\d+)\./;
  export const TASK_TYPES = new Set(['execute_request', 'apply_request']);
}
