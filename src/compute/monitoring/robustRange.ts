// The one robust "normal range" of ridescan's monitoring: median ± k robust standard deviations,
// the standard deviation estimated as 1.4826 × MAD (the median absolute deviation scaled to a
// standard deviation for normal data). The drift check (driftCheck.ts) and the flag-rate alert
// (application/alerts.ts) both judge a day by it, so that the two cannot drift apart in meaning.
import { median as medianOf } from '../compute_util.js';

/** MAD × this estimates the standard deviation of normally distributed values. */
export const MAD_TO_SD = 1.4826;

export interface RobustRange {
  median: number;
  mad: number;
  /** the deviation used: max(1.4826 · MAD, minScale) */
  scale: number;
  /** which term set the scale: the MAD, or the floor given */
  scaleFrom: 'mad' | 'floor';
  /** median − (k · scale + widen) */
  low: number;
  /** median + (k · scale + widen) */
  high: number;
}

export interface RobustRangeOptions {
  /** the deviation is at least this (a window flat on one value has MAD 0) */
  minScale?: number;
  /** added to the half-width after k · scale: another source of spread, e.g. today's sampling error */
  widen?: number;
}

/** median ± (k · max(1.4826 · MAD, minScale) + widen) of the values; NaN bounds when there are none. */
export function robustRange(values: ArrayLike<number>, k: number, options: RobustRangeOptions = {}): RobustRange {
  const median = medianOf(values);
  const mad = medianOf(Array.from(values, (v) => Math.abs(v - median)));
  const fromMad = MAD_TO_SD * mad;
  const minScale = options.minScale ?? 0;
  const scale = Math.max(fromMad, minScale);
  const half = k * scale + (options.widen ?? 0);
  return { median, mad, scale, scaleFrom: fromMad >= minScale ? 'mad' : 'floor', low: median - half, high: median + half };
}
