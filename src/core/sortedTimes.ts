/**
 * A multiset of times, kept sorted, that says how many times and what sum
 * of times lie at or before any moment. Work arrives roughly in time order,
 * so inserting and removing near the end (the common case) moves few
 * values, and the prefix sums are recomputed only from the first place
 * that changed, once per query after a change.
 */
export class SortedTimes {
  /**
   * Times are stored relative to `origin` (seconds): sums of epoch seconds
   * over 100,000 tasks would lose the milliseconds in a double.
   */
  constructor(origin: number) {
    this._origin = origin;
  }

  /** A set of these times, sorted once (cheaper than inserting one by one). */
  static from(origin: number, times: ReadonlyArray<number>): SortedTimes {
    const set = new SortedTimes(origin);
    const values = new Float64Array(Math.max(64, times.length));
    times.forEach((t, i) => (values[i] = t - origin));
    values.subarray(0, times.length).sort();
    set._values = values;
    set._sums = new Float64Array(values.length + 1);
    set._size = times.length;
    return set;
  }

  /** How many times it holds. */
  get size(): number {
    return this._size;
  }

  /** Add one time. */
  insert(time: number): void {
    const t = time - this._origin;
    if (this._size === this._values.length) {
      const grown = new Float64Array(Math.max(64, this._values.length * 2));
      grown.set(this._values);
      this._values = grown;
      const sums = new Float64Array(grown.length + 1);
      sums.set(this._sums.subarray(0, this._validTo + 1));
      this._sums = sums;
    }
    const at = this._upperBound(t);
    this._values.copyWithin(at + 1, at, this._size);
    this._values[at] = t;
    this._size += 1;
    this._validTo = Math.min(this._validTo, at);
  }

  /** Remove one copy of a time; false when it holds none. */
  remove(time: number): boolean {
    const t = time - this._origin;
    const at = this._upperBound(t) - 1;
    if (at < 0 || this._values[at] !== t) {
      return false;
    }
    this._values.copyWithin(at, at + 1, this._size);
    this._size -= 1;
    this._validTo = Math.min(this._validTo, at);
    return true;
  }

  /** Forget every time. */
  clear(): void {
    this._size = 0;
    this._validTo = 0;
  }

  /** How many times are at or before `time`. */
  countUpTo(time: number): number {
    return this._upperBound(time - this._origin);
  }

  /**
   * The area under "how many times lie at or before t" from the first
   * time up to `time`: the sum over times s <= `time` of (`time` - s).
   */
  areaUpTo(time: number): number {
    const t = time - this._origin;
    const k = this._upperBound(t);
    this._refresh();
    return t * k - this._sums[k];
  }

  /** Bring the prefix sums up to date from the first changed place. */
  private _refresh(): void {
    if (this._validTo >= this._size) {
      return;
    }
    const sums = this._sums;
    for (let i = this._validTo; i < this._size; i++) {
      sums[i + 1] = sums[i] + this._values[i];
    }
    this._validTo = this._size;
  }

  /** The index of the first value greater than t. */
  private _upperBound(t: number): number {
    let lo = 0;
    let hi = this._size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this._values[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private _origin: number;
  private _values = new Float64Array(0);
  /** _sums[i] = sum of the first i values, valid for i <= _validTo. */
  private _sums = new Float64Array(1);
  private _validTo = 0;
  private _size = 0;
}
