// Drift: does today's summary sit far from the trailing days'? For every metric of summaryMetrics, the
// robust z-score of today's value against the trailing window: (value − median) / (1.4826 · MAD), the
// MAD scaled to a standard deviation for normal data. Far = |z| above the threshold (default 3) on any
// metric. With too few trailing days there is no verdict. Each signal also carries the normal range
// it was judged by (median ± threshold robust deviations) in the metric's own unit, which
// driftMessage.ts turns into the sentence a warning shows.
import { median as medianOf } from '../compute_util.js';
import { summaryMetrics, type DaySummary } from './featureSummary.js';
import { robustRange } from './robustRange.js';
import { metricLabel, type MetricUnit } from './driftMessage.js';

export interface DriftOptions {
  /** trailing days compared against: the last `window` of those given (default 14) */
  window: number;
  /** |robust z| above this is drift (default 3) */
  threshold: number;
  /** fewer trailing days than this: no verdict (default 5) */
  minDays: number;
  /**
   * Floors of the deviation, so that a metric flat over the window (MAD 0) does not call every change
   * drift: rates (flag_rate*) use at least `rate` (default 0.001, a tenth of a percentage point), the
   * features at least `relative` × |median| (default 0.01).
   */
  minScale: { rate: number; relative: number };
}

export const DEFAULT_DRIFT_OPTIONS: Readonly<DriftOptions> = Object.freeze({
  window: 14,
  threshold: 3,
  minDays: 5,
  minScale: Object.freeze({ rate: 0.001, relative: 0.01 }),
});

export interface DriftSignal {
  metric: string;
  /** the metric in words: 'median duration', 'noise flag rate' */
  feature: string;
  /** of value, median, low and high: rates are shares of the day's rides (0.05 = 5%) */
  unit: MetricUnit;
  value: number;
  /** of the trailing window */
  median: number;
  mad: number;
  /** the deviation used: max(1.4826 · MAD, floor) */
  scale: number;
  /** what set the scale: the window's MAD, the floor (minScale), or the day's sampling error */
  scaleFrom: 'mad' | 'floor' | 'sampling';
  robustZ: number;
  /** the normal range: median ± threshold · scale, not below 0 (no metric is negative) */
  low: number;
  high: number;
  /** where value lies against the range */
  direction: 'above' | 'below' | 'within';
  drift: boolean;
}

export interface DriftResult {
  /** 'insufficient_history': fewer trailing days than minDays, no verdict (drift is false) */
  verdict: 'drift' | 'stable' | 'insufficient_history';
  drift: boolean;
  /** trailing days used */
  trailingDays: number;
  /** the metrics beyond the threshold, largest |z| first */
  drifted: string[];
  /** every metric compared (none without a verdict) */
  signals: DriftSignal[];
  options: DriftOptions;
}

/** Today's summary against the trailing days' (oldest first; the last `window` are used). */
export function checkDrift(today: DaySummary, trailing: DaySummary[], options: Partial<DriftOptions> = {}): DriftResult {
  const opts: DriftOptions = {
    ...DEFAULT_DRIFT_OPTIONS,
    ...options,
    minScale: { ...DEFAULT_DRIFT_OPTIONS.minScale, ...options.minScale },
  };
  const days = trailing.slice(Math.max(0, trailing.length - opts.window));
  if (days.length < opts.minDays) {
    return { verdict: 'insufficient_history', drift: false, trailingDays: days.length, drifted: [], signals: [], options: opts };
  }
  const now = summaryMetrics(today);
  const history = days.map(summaryMetrics);
  // a reason that flagged nothing on a day has rate 0 that day
  const names = new Set([...Object.keys(now), ...history.flatMap((h) => Object.keys(h))]);
  const signals: DriftSignal[] = [];
  for (const metric of names) {
    const isRate = metric.startsWith('flag_rate');
    const value = now[metric] ?? (isRate ? 0 : NaN);
    const past = history.map((h) => h[metric] ?? (isRate ? 0 : NaN)).filter((v) => !Number.isNaN(v));
    if (Number.isNaN(value) || past.length < opts.minDays) continue;
    const centre = medianOf(past);
    const floor = isRate ? opts.minScale.rate : opts.minScale.relative * Math.abs(centre);
    const sampling = 2 * samplingError(isRate, value, centre, today);
    const range = robustRange(past, opts.threshold, { minScale: Math.max(floor, sampling, Number.MIN_VALUE) });
    const { scale } = range;
    const robustZ = (value - range.median) / scale;
    const drift = Math.abs(robustZ) > opts.threshold;
    signals.push({
      metric,
      ...metricLabel(metric),
      value,
      median: range.median,
      mad: range.mad,
      scale,
      scaleFrom: range.scaleFrom === 'mad' ? 'mad' : sampling > floor ? 'sampling' : 'floor',
      robustZ,
      low: Math.max(0, range.low),
      high: range.high,
      direction: drift ? (robustZ > 0 ? 'above' : 'below') : 'within',
      drift,
    });
  }
  signals.sort((a, b) => a.metric.localeCompare(b.metric));
  const drifted = signals
    .filter((s) => s.drift)
    .sort((a, b) => Math.abs(b.robustZ) - Math.abs(a.robustZ))
    .map((s) => s.metric);
  return { verdict: drifted.length > 0 ? 'drift' : 'stable', drift: drifted.length > 0, trailingDays: days.length, drifted, signals, options: opts };
}

/**
 * How much a metric moves from sampling alone on a day of this size: a rate's binomial (Poisson
 * at small rates) error, and about |median| / √n for a feature's mean or quantile. Doubled in the
 * scale: on days of 2,000 simulated rides from one distribution, the MAD of a short window alone
 * called 7 of 15 days drifted (small-cluster rates of 0.4% against a median of 0, a duration
 * quartile 4 MADs off); with this floor none were, and the same check at 20,000 rides a day is
 * unchanged (0 of 15 either way).
 */
function samplingError(isRate: boolean, value: number, median: number, today: DaySummary): number {
  if (isRate) {
    const n = Math.max(1, today.rides);
    return Math.sqrt(Math.max(value, median, 1 / n) / n);
  }
  return Math.abs(median) / Math.sqrt(Math.max(1, today.validRides));
}
