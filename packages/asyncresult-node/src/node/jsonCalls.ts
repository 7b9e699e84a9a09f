import type { AsyncResult } from '../core/asyncResult';
import type { ISubmitter, Targets } from './clientContext';
import { DirectView } from './views';

/**
 * Calls of named Python functions with JSON arguments and JSON results,
 * for Node users who start from data rather than Python code: values
 * travel as JSON both ways (never as a Python repr or a pickle).
 * `apply('math.hypot', [3, 4])` gives 5; `map('str.upper', ['a', 'b'])`
 * gives ['A', 'B'], the items spread over the engines in order.
 */
export class JsonCalls {
  constructor(private readonly _client: ISubmitter) {}

  /**
   * Call `fname` (a name in the engine's namespace, a builtin, or
   * `module.name`) with `args` and `kwargs` on one engine (default: the
   * first); resolves with its JSON result, or rejects with the
   * RemoteError it raised (a TypeError when the result is not JSON).
   */
  async apply(
    fname: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: JsonCalls.IOptions & { target?: number } = {}
  ): Promise<unknown> {
    const target = options.target ?? this._client.resolveTargets('all')[0];
    if (target === undefined) {
      throw new RangeError('apply: no engine is registered');
    }
    const [value] = await this._run(fname, [[args, kwargs]], target, options.timeout);
    return value;
  }

  /**
   * `fname(item)` for each item, spread in contiguous chunks over
   * `targets` (all engines by default), as ipyparallel's DirectView.map;
   * resolves with the results in the items' order.
   */
  async map(
    fname: string,
    items: unknown[],
    options: JsonCalls.IOptions & { targets?: Targets } = {}
  ): Promise<unknown[]> {
    Private.checkName(fname);
    if (!Array.isArray(items)) {
      throw new TypeError('map: items must be an array');
    }
    const ids = this._client.resolveTargets(options.targets ?? 'all');
    if (!ids.length) {
      throw new RangeError('map: no engine is registered');
    }
    const size = Math.ceil(items.length / ids.length);
    const parts: Array<Promise<unknown[]>> = [];
    for (let i = 0; i * size < items.length; i++) {
      const chunk = items.slice(i * size, (i + 1) * size).map(item => [[item], {}]);
      parts.push(this._run(fname, chunk as Private.Call[], ids[i], options.timeout));
    }
    return (await Promise.all(parts)).flat();
  }

  private async _run(
    fname: string,
    calls: Private.Call[],
    target: number,
    timeout = -1
  ): Promise<unknown[]> {
    const ar: AsyncResult = new DirectView(this._client, target).execute(
      Private.code(fname, calls),
      { silent: false }
    );
    const reply = (await ar.get(timeout)) as { data?: Record<string, any> };
    const json = reply?.data?.['application/json'];
    if (!json || !Array.isArray(json.value)) {
      throw new Error(`${fname}: the engine sent no JSON result`);
    }
    return json.value;
  }
}

/** Types that go with JsonCalls. */
export namespace JsonCalls {
  export interface IOptions {
    /** Seconds to wait for the results (default: as long as the controller answers). */
    timeout?: number;
  }
}

namespace Private {
  export type Call = [unknown[], Record<string, unknown>];

  const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

  /**
   * Python that finds the function, calls it on the JSON-decoded calls and
   * shows the results as JSON (`_repr_json_`), so they come back in the
   * execute_result's `application/json`.
   */
  export function checkName(fname: string): void {
    if (typeof fname !== 'string' || !NAME.test(fname)) {
      throw new TypeError(`not a Python function name: ${JSON.stringify(fname)}`);
    }
  }

  export function code(fname: string, calls: Call[]): string {
    checkName(fname);
    let data: string;
    try {
      data = JSON.stringify(JSON.stringify(calls));
    } catch (reason) {
      throw new TypeError(`arguments must be JSON: ${(reason as Error).message}`);
    }
    // a JSON string literal is a valid Python string literal
    return `def _asyncresult_json_call(name, data):
    import builtins, importlib, json
    module, _, attr = name.rpartition(".")
    if module:
        try:
            f = getattr(importlib.import_module(module), attr)
        except ImportError:
            f = getattr(eval(module, globals()), attr)
    else:
        f = globals()[attr] if attr in globals() else getattr(builtins, attr)
    out = [f(*args, **kwargs) for args, kwargs in json.loads(data)]
    try:
        json.dumps(out)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} returned a value that is not JSON: {e}") from None

    class JsonResult:
        def _repr_json_(self):
            return {"value": out}

        def __repr__(self):
            return json.dumps(out)

    return JsonResult()
_asyncresult_json_call(${JSON.stringify(fname)}, ${data})`;
  }
}
