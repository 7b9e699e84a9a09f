// The wire form of an error, apart from protocol.ts so that errors.ts (which
// protocol.ts imports) can read it without an import circle.

/** An exception raised on an engine (or by the Client for it). */
export interface IErrorInfo {
  ename: string;
  /** The exception's text; for a CompositeError, ipyparallel's str() of it. */
  evalue: string;
  traceback: string;
  engine_id: number | null;
  /** How the engine ran the task (`apply`, `execute`), from engine_info. */
  method?: string | null;
  /** Whether ipyparallel counts it a RemoteError (TaskAborted, EngineError are not). */
  remote?: boolean;
  /** A CompositeError's members, in task order (at most 1000). */
  elist?: IErrorInfo[];
  /** A CompositeError's member count, when `elist` was capped. */
  elist_total?: number;
}
