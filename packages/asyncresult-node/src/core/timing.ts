/**
 * Times of tasks and the spans between them, as ipyparallel's timedelta
 * computes them. Seconds since the epoch on the kernel's clock.
 */

/** The ends of a time span: one time, or many reduced by a key. */
export type Stamps = number | ReadonlyArray<number | null>;

/** Reduces many times to one, like Python's `min` / `max`. */
export type StampKey = (stamps: number[]) => number;

// Every runtime we target has timers, but lib ES2022 does not declare them
// (the core is compiled without DOM or Node types on purpose).
export const timers = globalThis as unknown as {
  setTimeout(handler: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(handler: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
};

/** The earliest of many times (Python's `min`). */
export const earliest: StampKey = s => Math.min(...s);

/** The latest of many times (Python's `max`). */
export const latest: StampKey = s => Math.max(...s);

/**
 * Seconds between two sets of times: by default the earliest of `start`
 * and the latest of `end`.
 */
export function timedelta(
  start: Stamps,
  end: Stamps,
  startKey: StampKey = earliest,
  endKey: StampKey = latest
): number {
  return pick(end, endKey) - pick(start, startKey);
}

function pick(stamps: Stamps, key: StampKey): number {
  if (typeof stamps === 'number') {
    return stamps;
  }
  const known = stamps.filter((s): s is number => s !== null);
  if (!known.length) {
    throw new Error('timedelta: no timestamps to compare');
  }
  return key(known);
}
