/**
 * Seconds since the epoch of a date the controller sent: ISO 8601 with up
 * to microseconds, `Z`, an offset, or none (ipyparallel writes UTC).
 * Null when there is no parseable date.
 */
export function wireTime(value: unknown): number | null {
  if (typeof value !== 'string' || !value) {
    return null;
  }
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(value);
  if (!m) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms / 1000;
  }
  // Date.parse keeps milliseconds only: add the rest of the fraction by hand
  const whole = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  if (Number.isNaN(whole)) {
    return null;
  }
  const fraction = m[2] ? Number(`0.${m[2]}`) : 0;
  return whole / 1000 + fraction;
}

/** Now, in seconds since the epoch (this process is the client's clock). */
export function nowSeconds(): number {
  return Date.now() / 1000;
}
