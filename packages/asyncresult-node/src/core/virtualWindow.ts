/**
 * Which items of a long list are worth drawing: those in the viewport and a
 * few around it. The rest are stood in for by two spacers of the right
 * heights, so the scroll bar stays true and a list of any length costs the
 * page only the rows in view.
 */

/** The items to draw, `start` to `end` (exclusive), and the space around them. */
export interface IVirtualWindow {
  start: number;
  end: number;
  /** Pixels above `start`: the heights of the items not drawn before it. */
  before: number;
  /** Pixels below `end`. */
  after: number;
}

/**
 * The window of `heights` (each item's height, px) seen from `scrollTop`
 * through a viewport `viewport` px high, with `overscan` items more on each
 * side. A viewport of 0 (not laid out yet) draws the first screenful by
 * `fallback` px.
 */
export function visibleWindow(
  heights: ReadonlyArray<number>,
  scrollTop: number,
  viewport: number,
  overscan = 4,
  fallback = 800
): IVirtualWindow {
  const view = viewport > 0 ? viewport : fallback;
  const top = Math.max(0, scrollTop);
  let y = 0;
  let first = heights.length;
  let last = heights.length;
  for (let i = 0; i < heights.length; i++) {
    const bottom = y + heights[i];
    if (first === heights.length && bottom > top) {
      first = i;
    }
    if (bottom >= top + view) {
      last = i + 1;
      break;
    }
    y = bottom;
  }
  if (first === heights.length && heights.length) {
    // scrolled past the end (the list shrank): show its last screenful
    first = Math.max(0, heights.length - 1);
  }
  const start = Math.max(0, first - overscan);
  const end = Math.min(heights.length, last + overscan);
  let before = 0;
  let after = 0;
  for (let i = 0; i < start; i++) {
    before += heights[i];
  }
  for (let i = end; i < heights.length; i++) {
    after += heights[i];
  }
  return { start, end, before, after };
}
