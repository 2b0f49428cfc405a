import { describe, expect, it } from 'vitest';
import { summariseDayRates } from '../../../src/compute/simulation/dayFlagRates.js';

describe('summariseDayRates', () => {
  it('median, highest and busiest over the full days; partial days counted and left out', () => {
    const s = summariseDayRates([
      { day: '2019-02-01', rides: 12, flagged: 6 }, // partial (a file's edge): 50% would be the highest
      { day: '2019-02-02', rides: 300, flagged: 6 }, // 2%
      { day: '2019-02-03', rides: 320, flagged: 16 }, // 5%
      { day: '2019-02-04', rides: 400, flagged: 12 }, // 3%, busiest
      { day: '2019-02-05', rides: 310, flagged: 9.3 }, // 3%
      { day: '2019-02-06', rides: 0, flagged: 0 }, // no rides: not a day
    ]);
    expect(s.days).toBe(5);
    expect(s.partialDays).toBe(1);
    expect(s.medianRate).toBeCloseTo(0.03, 12);
    expect(s.highest).toMatchObject({ day: '2019-02-03', rides: 320, flagged: 16 });
    expect(s.highestOverMedian).toBeCloseTo(0.05 / 0.03, 12);
    expect(s.busiest).toMatchObject({ day: '2019-02-04' });
    expect(s.busiestOverMedian).toBeCloseTo(1, 12);
  });

  it('finds the full day when stray days outnumber it (one day of one file, with rides either side of midnight)', () => {
    const s = summariseDayRates([
      { day: '2020-12-31', rides: 16, flagged: 3 },
      { day: '2021-01-01', rides: 22_000, flagged: 880 },
      { day: '2021-01-02', rides: 2, flagged: 0 },
    ]);
    expect(s.partialDays).toBe(2);
    expect(s.medianRate).toBeCloseTo(0.04, 12);
    expect(s.highest?.day).toBe('2021-01-01');
    expect(s.highestOverMedian).toBe(1);
  });

  it('no ratios when the median day flags nothing, nor without days', () => {
    const zero = summariseDayRates([
      { day: 'a', rides: 100, flagged: 0 },
      { day: 'b', rides: 100, flagged: 0 },
      { day: 'c', rides: 100, flagged: 5 },
    ]);
    expect(zero.medianRate).toBe(0);
    expect(zero.highestOverMedian).toBeNaN();
    const none = summariseDayRates([]);
    expect(none).toMatchObject({ days: 0, partialDays: 0, highest: null, busiest: null });
    expect(none.medianRate).toBeNaN();
  });
});
