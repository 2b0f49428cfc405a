// What a scored day looked like, in a few numbers that can be stored with its run and compared with
// the days before it (driftCheck.ts): feature quantiles of the rides that passed the rules, and how
// many rides were flagged, in all and by reason.
import { selectRange } from '../compute_util.js';
import { RULE_REASONS } from '../outlierReasons.js';

export interface Quantiles {
  mean: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

export interface DaySummary {
  /** all rides of the day */
  rides: number;
  /** rides that passed the rules: the features below are theirs */
  validRides: number;
  distanceKm: Quantiles;
  durationMin: Quantiles;
  /** implied speed, distance / duration, km/h */
  speedKmh: Quantiles;
  /** flagged / rides */
  flagRate: number;
  /** flagged for this reason / rides; every reason that flagged a ride */
  flagRateByReason: Record<string, number>;
}

/** The part of a DetectionResult a summary needs. */
export interface FlagsOfDay {
  reasonCode: Uint8Array;
  reasonNames: readonly string[];
}

/**
 * The day's summary. Valid rides are those no rule flagged (RULE_REASONS: a detector's flag still counts
 * as valid); quantiles are order statistics at rank round(q · (n − 1)), NaN for a day without valid rides.
 */
export function summarizeDay(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  flags: FlagsOfDay,
  isRuleReason: (reason: string) => boolean = (reason) => (RULE_REASONS as readonly string[]).includes(reason),
): DaySummary {
  const n = distanceKm.length;
  if (durationMin.length !== n || flags.reasonCode.length !== n) throw new RangeError('summarizeDay: arrays differ in length');
  const byCode = new Array<number>(flags.reasonNames.length + 1).fill(0);
  for (let i = 0; i < n; i++) byCode[flags.reasonCode[i]]++;
  const ruleCode = new Uint8Array(flags.reasonNames.length + 1);
  flags.reasonNames.forEach((name, k) => (ruleCode[k + 1] = isRuleReason(name) ? 1 : 0));
  let m = 0;
  for (let i = 0; i < n; i++) if (ruleCode[flags.reasonCode[i]] === 0) m++;
  const distance = new Float64Array(m);
  const duration = new Float64Array(m);
  const speed = new Float64Array(m);
  for (let i = 0, k = 0; i < n; i++) {
    if (ruleCode[flags.reasonCode[i]] !== 0) continue;
    distance[k] = distanceKm[i];
    duration[k] = durationMin[i];
    speed[k] = (distanceKm[i] * 60) / durationMin[i];
    k++;
  }
  const flagRateByReason: Record<string, number> = {};
  let flagged = 0;
  for (let code = 1; code < byCode.length; code++) {
    if (byCode[code] === 0) continue;
    flagged += byCode[code];
    flagRateByReason[flags.reasonNames[code - 1]] = byCode[code] / n;
  }
  return {
    rides: n,
    validRides: m,
    distanceKm: quantiles(distance),
    durationMin: quantiles(duration),
    speedKmh: quantiles(speed),
    flagRate: n > 0 ? flagged / n : 0,
    flagRateByReason,
  };
}

/** Mean and the 5/25/50/75/95th percentiles; reorders the values. */
export function quantiles(values: Float64Array): Quantiles {
  const n = values.length;
  if (n === 0) return { mean: NaN, p05: NaN, p25: NaN, p50: NaN, p75: NaN, p95: NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const rank = (q: number) => Math.round(q * (n - 1));
  // nested selections: each one only looks at the part the previous one left on its side
  const r50 = rank(0.5);
  const p50 = selectRange(values, 0, n - 1, r50);
  const r25 = rank(0.25);
  const p25 = selectRange(values, 0, r50, r25);
  const r05 = rank(0.05);
  const p05 = selectRange(values, 0, r25, r05);
  const r75 = rank(0.75);
  const p75 = selectRange(values, r50, n - 1, r75);
  const r95 = rank(0.95);
  const p95 = selectRange(values, r75, n - 1, r95);
  return { mean: sum / n, p05, p25, p50, p75, p95 };
}

/**
 * The summary as flat named numbers, the metrics driftCheck compares: flag_rate, flag_rate.<reason>,
 * and <feature>.<statistic> for distance_km, duration_min and speed_kmh.
 */
export function summaryMetrics(summary: DaySummary): Record<string, number> {
  const out: Record<string, number> = { flag_rate: summary.flagRate };
  for (const [reason, rate] of Object.entries(summary.flagRateByReason)) out[`flag_rate.${reason}`] = rate;
  const features: Array<[string, Quantiles]> = [
    ['distance_km', summary.distanceKm],
    ['duration_min', summary.durationMin],
    ['speed_kmh', summary.speedKmh],
  ];
  for (const [name, q] of features) {
    for (const stat of ['mean', 'p05', 'p25', 'p50', 'p75', 'p95'] as const) out[`${name}.${stat}`] = q[stat];
  }
  return out;
}
