// Drift in words: which feature moved, to what, and what its normal range is, e.g.
// "median duration 23.4 min is above its normal range 11.2–16.8 min (trailing 14 days, median ± 3 ×
// 1.4826 MAD)". The detect summary, the alert and the report all print these sentences.

/** km, min and km/h for the ride features; 'share' for flag rates, a fraction of the day's rides; '' for a metric this module does not know. */
export type MetricUnit = 'km' | 'min' | 'km/h' | 'share' | '';

const FEATURES: Record<string, { name: string; unit: MetricUnit }> = {
  distance_km: { name: 'distance', unit: 'km' },
  duration_min: { name: 'duration', unit: 'min' },
  speed_kmh: { name: 'speed', unit: 'km/h' },
};
const STATISTICS: Record<string, string> = {
  mean: 'mean',
  p05: '5th percentile',
  p25: '25th percentile',
  p50: 'median',
  p75: '75th percentile',
  p95: '95th percentile',
};

/** A metric of summaryMetrics in words, with its unit: 'duration_min.p50' is the median duration in min. */
export function metricLabel(metric: string): { feature: string; unit: MetricUnit } {
  if (metric === 'flag_rate') return { feature: 'flag rate', unit: 'share' };
  if (metric.startsWith('flag_rate.')) return { feature: `${metric.slice('flag_rate.'.length)} flag rate`, unit: 'share' };
  const [feature, statistic] = metric.split('.');
  const known = FEATURES[feature];
  if (!known || !STATISTICS[statistic]) return { feature: metric, unit: '' };
  return { feature: `${STATISTICS[statistic]} ${known.name}`, unit: known.unit };
}

/** What a warning needs of a signal. Runs recorded before the range was stored have only the first fields. */
export interface DriftSignalFacts {
  metric: string;
  value: number;
  median: number;
  scale: number;
  robustZ: number;
  drift: boolean;
  feature?: string;
  unit?: MetricUnit;
  low?: number;
  high?: number;
  scaleFrom?: 'mad' | 'floor' | 'sampling';
}

export interface DriftFacts {
  trailingDays: number;
  options: { threshold: number };
  signals: DriftSignalFacts[];
}

/**
 * Decimals that show the three numbers apart: by magnitude (0 from 100, 1 from 10, else 2), more
 * while the bounds would print the same.
 */
function decimalsFor(value: number, low: number, high: number): number {
  const largest = Math.max(Math.abs(value), Math.abs(low), Math.abs(high));
  let digits = largest >= 100 ? 0 : largest >= 10 ? 1 : 2;
  while (digits < 6 && (low.toFixed(digits) === high.toFixed(digits) || (value !== low && value !== high && [low, high].some((b) => b.toFixed(digits) === value.toFixed(digits))))) digits++;
  return digits;
}

/** The signal's sentence; its range from the stored fields, or median ± threshold · scale for an old record. */
export function driftSentence(signal: DriftSignalFacts, facts: Pick<DriftFacts, 'trailingDays' | 'options'>): string {
  const label = signal.feature && signal.unit !== undefined ? { feature: signal.feature, unit: signal.unit } : metricLabel(signal.metric);
  const k = facts.options.threshold;
  const low = signal.low ?? Math.max(0, signal.median - k * signal.scale);
  const high = signal.high ?? signal.median + k * signal.scale;
  const share = label.unit === 'share';
  const [v, lo, hi] = share ? [100 * signal.value, 100 * low, 100 * high] : [signal.value, low, high];
  const digits = decimalsFor(v, lo, hi);
  const unit = share ? '%' : label.unit ? ` ${label.unit}` : '';
  const num = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const where = !signal.drift ? 'is within' : signal.robustZ > 0 ? 'is above' : 'is below';
  const deviation =
    signal.scaleFrom === 'floor'
      ? `median ± ${k} × its floor deviation (the window is nearly flat)`
      : signal.scaleFrom === 'sampling'
        ? `median ± ${k} × twice the day's sampling error`
        : signal.scaleFrom === 'mad'
          ? `median ± ${k} × 1.4826 MAD`
          : `median ± ${k} robust SD`;
  return `${label.feature} ${num(v)}${unit} ${where} its normal range ${num(lo)}–${num(hi)}${unit} (trailing ${facts.trailingDays} days, ${deviation})`;
}

/** One sentence per drifted metric, the farthest (largest |robust z|) first. */
export function driftWarnings(facts: DriftFacts): string[] {
  return facts.signals
    .filter((s) => s.drift)
    .sort((a, b) => Math.abs(b.robustZ) - Math.abs(a.robustZ))
    .map((s) => driftSentence(s, facts));
}
