// How even the flag rate is from day to day: a detector that flags 1% on most days and 12% on a
// holiday would swamp the operations team that morning. Pure, over per-day counts.
import { median } from '../compute_util.js';

export interface DayCount {
  day: string;
  rides: number;
  flagged: number;
}

export interface DayRate extends DayCount {
  /** flagged / rides */
  rate: number;
}

export interface DayRateSummary {
  days: number;
  /** days with fewer than `partialShare` of the median full day's rides (a file's edge): counted, left out of the figures below */
  partialDays: number;
  /** the median of the full days' flag rates */
  medianRate: number;
  /** the full day with the highest flag rate */
  highest: DayRate | null;
  /** the full day with the most rides */
  busiest: DayRate | null;
  /** highest / median rate; NaN when the median is 0 */
  highestOverMedian: number;
  busiestOverMedian: number;
}

/** A day with fewer rides than this share of the median day's is partial. */
export const PARTIAL_DAY_SHARE = 0.1;

export function summariseDayRates(counts: DayCount[], partialShare = PARTIAL_DAY_SHARE): DayRateSummary {
  const withRides = counts.filter((c) => c.rides > 0);
  // The median day is the median of the days that are not stray: a file of one day has a few rides
  // either side of midnight, and over three days the median would be a stray one. Days under the
  // share of the busiest day are stray for that median; the partial days are then those under the
  // share of the median day, as over months (where the two agree).
  const busiestRides = withRides.reduce((m, c) => Math.max(m, c.rides), 0);
  const notStray = withRides.filter((c) => c.rides >= partialShare * busiestRides);
  const medianRides = notStray.length > 0 ? median(Float64Array.from(notStray, (c) => c.rides)) : 0;
  const kept = withRides.filter((c) => c.rides >= partialShare * medianRides);
  const full: DayRate[] = kept.map((c) => ({ ...c, rate: c.flagged / c.rides }));
  const medianRate = full.length > 0 ? median(Float64Array.from(full, (d) => d.rate)) : NaN;
  // ties go to the earlier day, so that the same counts give the same answer
  const pick = (better: (a: DayRate, b: DayRate) => boolean) => full.reduce<DayRate | null>((best, d) => (best === null || better(d, best) ? d : best), null);
  const highest = pick((a, b) => a.rate > b.rate);
  const busiest = pick((a, b) => a.rides > b.rides);
  const ratio = (d: DayRate | null) => (d !== null && medianRate > 0 ? d.rate / medianRate : NaN);
  return {
    days: withRides.length,
    partialDays: withRides.length - full.length,
    medianRate,
    highest,
    busiest,
    highestOverMedian: ratio(highest),
    busiestOverMedian: ratio(busiest),
  };
}
