import { defaultQuery, viewFromJSON, viewToJSON, MAX_KEPT_CLEARED } from '..';

describe('the panel view kept between sessions', () => {
  it('comes back as it was saved: filters, sort, grouping, cleared rows and folded sections', () => {
    const view = {
      query: {
        text: 'sleep',
        status: 'running' as const,
        sort: 'longest' as const,
        groupBy: 'flat' as const,
        cleared: new Set(['k1/r1', 'k2/r9'])
      },
      collapsed: new Set(['work/a/analysis.ipynb'])
    };
    const back = viewFromJSON(JSON.parse(JSON.stringify(viewToJSON(view))));
    expect(back.query).toEqual(view.query);
    expect(back.collapsed).toEqual(view.collapsed);
  });

  it('falls back to the default view for a missing, older or hand-edited entry', () => {
    for (const saved of [undefined, null, 7, 'x', [], {}]) {
      expect(viewFromJSON(saved).query).toEqual(defaultQuery());
      expect(viewFromJSON(saved).collapsed.size).toBe(0);
    }
    const odd = viewFromJSON({
      text: 3,
      status: 'sleeping',
      sort: 'oldest',
      groupBy: 'engine',
      cleared: ['k1/r1', 5, null],
      collapsed: 'a.ipynb'
    });
    expect(odd.query).toEqual({ ...defaultQuery(), cleared: new Set(['k1/r1']) });
    expect(odd.collapsed.size).toBe(0);
  });

  it('keeps only the newest cleared rows, so the entry cannot grow without end', () => {
    const cleared = new Set(Array.from({ length: MAX_KEPT_CLEARED + 5 }, (_, i) => `k/r${i}`));
    const json = viewToJSON({ query: { ...defaultQuery(), cleared }, collapsed: new Set() });
    expect(json.cleared).toHaveLength(MAX_KEPT_CLEARED);
    expect(json.cleared[0]).toBe('k/r5');
  });
});
