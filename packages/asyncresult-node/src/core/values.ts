import type { IValue } from './protocol';

/** A result that is not plain JSON: its Python repr (maybe cut short) and
 * its rich reprs. */
export class ResultRepr {
  constructor(value: IValue) {
    this.repr = value.repr;
    this.truncated = value.repr_truncated;
    this.bundle = { ...(value.bundle ?? {}), 'text/plain': value.repr };
  }

  readonly repr: string;
  readonly truncated: boolean;
  /**
   * A mime bundle to render it with (through rendermime, sanitised: it
   * comes from an engine): IPython's rich reprs plus text/plain.
   */
  readonly bundle: Record<string, unknown>;

  toString(): string {
    return this.repr;
  }
}

/** A value from the bridge: itself when JSON, else its repr. */
export function decodeValue(value: IValue): unknown {
  return 'json' in value ? value.json : new ResultRepr(value);
}
