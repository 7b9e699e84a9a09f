import { visibleWindow } from '..';

describe('visibleWindow', () => {
  const rows = (n: number, h = 50) => Array.from({ length: n }, () => h);

  it('draws the rows in view and a few around them, standing in for the rest', () => {
    const w = visibleWindow(rows(100_000), 50 * 1000, 500, 2);
    expect([w.start, w.end]).toEqual([998, 1012]);
    expect(w.before).toBe(998 * 50);
    expect(w.after).toBe((100_000 - 1012) * 50);
    // the spacers and the drawn rows add up to the whole list
    expect(w.before + (w.end - w.start) * 50 + w.after).toBe(100_000 * 50);
  });

  it('counts items of different heights (section headings among rows)', () => {
    const heights = [80, 50, 50, 50, 80, 50, 50];
    const w = visibleWindow(heights, 185, 100, 0);
    // 185 falls in the fourth item (180-230), 285 in the fifth (230-310)
    expect([w.start, w.end]).toEqual([3, 5]);
    expect(w.before).toBe(180);
    expect(w.after).toBe(100);
  });

  it('draws a first screenful before layout, and the end when scrolled past it', () => {
    expect(visibleWindow(rows(1000), 0, 0, 0, 200)).toMatchObject({ start: 0, end: 4 });
    const past = visibleWindow(rows(10), 10_000, 300, 1);
    expect(past.end).toBe(10);
    expect(past.start).toBe(8);
    expect(visibleWindow([], 0, 300)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });
});
