/**
 * A multiset of times, kept sorted, that says how many times and what sum
 * of times lie at or before any moment. Changes are merged in one pass at
 * the next query (once a frame), and the prefix sums are recomputed only
 * from the first place that changed: work in time order costs little.
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
    this._merge();
    return this._size;
  }

  /** Add one time (merged in at the next query, with the others since). */
  insert(time: number): void {
    this._adds.push(time - this._origin);
  }

  /** Remove one copy of a time (one it holds: the caller put it there). */
  remove(time: number): void {
    this._removes.push(time - this._origin);
  }

  /** Forget every time. */
  clear(): void {
    this._size = 0;
    this._validTo = 0;
    this._adds = [];
    this._removes = [];
  }

  /** How many times are at or before `time`. */
  countUpTo(time: number): number {
    this._merge();
    return this._upperBound(time - this._origin);
  }

  /**
   * The area under "how many times lie at or before t" from the first
   * time up to `time`: the sum over times s <= `time` of (`time` - s).
   */
  areaUpTo(time: number): number {
    this._merge();
    const t = time - this._origin;
    const k = this._upperBound(t);
    this._refresh();
    return t * k - this._sums[k];
  }

  /**
   * Merge the times added and removed since the last query in one pass:
   * k changes cost O(N + k log k) once, not k shifts of the whole array
   * (a delta that moves 100 starts to the past cost 30 ms the other way).
   * Added times past the last one (work in time order) just append.
   */
  private _merge(): void {
    if (!this._adds.length && !this._removes.length) {
      return;
    }
    // a time added and removed again since the last query cancels out
    const [adds, removes] = Private.cancel(
      Float64Array.from(this._adds).sort(),
      Float64Array.from(this._removes).sort()
    );
    this._adds = [];
    this._removes = [];
    const size = this._size + adds.length;
    if (size > this._values.length) {
      const grown = new Float64Array(Math.max(64, size * 2));
      grown.set(this._values.subarray(0, this._size));
      this._values = grown;
      const sums = new Float64Array(grown.length + 1);
      sums.set(this._sums.subarray(0, this._validTo + 1));
      this._sums = sums;
    }
    const old = this._values;
    if (!removes.length && (this._size === 0 || adds[0] >= old[this._size - 1])) {
      old.set(adds, this._size);
      this._validTo = Math.min(this._validTo, this._size);
      this._size = size;
      return;
    }
    // the first place that changes: the prefix sums before it still hold
    const first = Math.min(
      this._lowerBound(adds.length ? adds[0] : Infinity),
      this._lowerBound(removes.length ? removes[0] : Infinity)
    );
    // merge into the spare buffer and keep the old one as the next spare:
    // a delta then costs a pass, not two allocations of the whole set
    const out = this._spare.length === old.length ? this._spare : new Float64Array(old.length);
    out.set(old.subarray(0, first));
    let n = first;
    let a = 0;
    let r = 0;
    for (let i = first; i < this._size; i++) {
      const v = old[i];
      while (a < adds.length && adds[a] <= v) {
        out[n++] = adds[a++];
      }
      while (r < removes.length && removes[r] < v) {
        r++; // a removal of a time it does not hold: nothing to take out
      }
      if (r < removes.length && removes[r] === v) {
        r++;
        continue;
      }
      out[n++] = v;
    }
    while (a < adds.length) {
      out[n++] = adds[a++];
    }
    this._spare = old;
    this._values = out;
    this._size = n;
    this._validTo = Math.min(this._validTo, first);
  }

  /** The index of the first value not less than t. */
  private _lowerBound(t: number): number {
    let lo = 0;
    let hi = this._size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this._values[mid] < t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
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
  private _spare = new Float64Array(0);
  /** _sums[i] = sum of the first i values, valid for i <= _validTo. */
  private _sums = new Float64Array(1);
  private _validTo = 0;
  private _size = 0;
  /** Changes not merged yet, relative to the origin. */
  private _adds: number[] = [];
  private _removes: number[] = [];
}

namespace Private {
  /** Two sorted multisets without the values they share. */
  export function cancel(adds: Float64Array, removes: Float64Array): [Float64Array, Float64Array] {
    const keptAdds: number[] = [];
    const keptRemoves: number[] = [];
    let a = 0;
    let r = 0;
    while (a < adds.length || r < removes.length) {
      if (r >= removes.length || (a < adds.length && adds[a] < removes[r])) {
        keptAdds.push(adds[a++]);
      } else if (a >= adds.length || removes[r] < adds[a]) {
        keptRemoves.push(removes[r++]);
      } else {
        a++;
        r++;
      }
    }
    return [Float64Array.from(keptAdds), Float64Array.from(keptRemoves)];
  }
}
