import type { IValue } from './protocol';

/** A result that is not plain JSON: its Python repr, maybe cut short. */
export class ResultRepr {
  constructor(value: IValue) {
    this.repr = value.repr;
    this.truncated = value.repr_truncated;
  }

  readonly repr: string;
  readonly truncated: boolean;

  toString(): string {
    return this.repr;
  }
}

/** A value from the bridge: itself when JSON, else its repr. */
export function decodeValue(value: IValue): unknown {
  return 'json' in value ? value.json : new ResultRepr(value);
}
