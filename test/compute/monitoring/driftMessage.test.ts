import { describe, expect, it } from 'vitest';
import { checkDrift } from '../../../src/compute/monitoring/driftCheck.js';
import { driftSentence, driftWarnings, metricLabel } from '../../../src/compute/monitoring/driftMessage.js';
import { robustRange } from '../../../src/compute/monitoring/robustRange.js';
import type { DaySummary, Quantiles } from '../../../src/compute/monitoring/featureSummary.js';

// worked out here by sorting, apart from compute_util's median
const sortedMedian = (values: number[]) => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

const q = (p50: number): Quantiles => ({ mean: p50, p05: p50 / 4, p25: p50 / 2, p50, p75: p50 * 1.5, p95: p50 * 2.5 });
function day(durationP50: number, overrides: Partial<DaySummary> = {}): DaySummary {
  return {
    rides: 100_000,
    validRides: 99_000,
    distanceKm: q(3),
    durationMin: q(durationP50),
    speedKmh: q(20),
    flagRate: 0.04,
    flagRateByReason: { noise: 0.04 },
    ...overrides,
  };
}

describe('robustRange', () => {
  it('is median ± k · 1.4826 · MAD, floored and widened as asked', () => {
    const values = [10, 12, 11, 13, 30, 12, 11];
    const median = sortedMedian(values);
    const mad = sortedMedian(values.map((v) => Math.abs(v - median)));
    expect(robustRange(values, 3)).toMatchObject({ median, mad, scale: 1.4826 * mad, scaleFrom: 'mad', low: median - 3 * 1.4826 * mad, high: median + 3 * 1.4826 * mad });
    const floored = robustRange([5, 5, 5, 5], 2, { minScale: 0.5, widen: 0.1 });
    expect(floored).toMatchObject({ median: 5, mad: 0, scale: 0.5, scaleFrom: 'floor', low: 3.9, high: 6.1 });
  });
});

describe('drift warnings say what moved, by how much, and the normal range', () => {
  // durations that wobble by a minute or two: the MAD, not a floor, sets the range
  const durations = [12, 13, 14, 13, 12, 14, 13, 15, 11, 13, 14, 12, 13, 16];
  const trailing = durations.map((d) => day(d));

  it('names the feature, its value and unit, and the trailing median ± 3 robust SD', () => {
    const result = checkDrift(day(23.4), trailing);
    expect(result.drifted).toContain('duration_min.p50');
    const signal = result.signals.find((s) => s.metric === 'duration_min.p50')!;
    const median = sortedMedian(durations);
    const mad = sortedMedian(durations.map((d) => Math.abs(d - median)));
    const low = median - 3 * 1.4826 * mad;
    const high = median + 3 * 1.4826 * mad;
    expect(signal).toMatchObject({ feature: 'median duration', unit: 'min', value: 23.4, direction: 'above', scaleFrom: 'mad' });
    expect(signal.low).toBeCloseTo(low, 10);
    expect(signal.high).toBeCloseTo(high, 10);
    const sentence = `median duration 23.4 min is above its normal range ${low.toFixed(1)}–${high.toFixed(1)} min (trailing 14 days, median ± 3 × 1.4826 MAD)`;
    expect(driftWarnings(result)).toContain(sentence);
    // every drifted metric has its sentence, farthest first
    expect(driftWarnings(result)).toHaveLength(result.drifted.length);
    expect(driftWarnings(result)[0]).toContain(metricLabel(result.drifted[0]).feature);
  });

  it('says below, and gives rates in percent', () => {
    const rates = [0.03, 0.032, 0.031, 0.029, 0.03, 0.033, 0.028];
    const history = rates.map((r) => day(13, { flagRate: r, flagRateByReason: { noise: r } }));
    const result = checkDrift(day(13, { flagRate: 0.002, flagRateByReason: { noise: 0.002 } }), history);
    const signal = result.signals.find((s) => s.metric === 'flag_rate')!;
    expect(signal).toMatchObject({ feature: 'flag rate', unit: 'share', direction: 'below' });
    const sentence = driftSentence(signal, result);
    expect(sentence).toBe(
      `flag rate 0.20% is below its normal range ${(100 * signal.low).toFixed(2)}–${(100 * signal.high).toFixed(2)}% (trailing 7 days, median ± 3 × 1.4826 MAD)`,
    );
    expect(signal.low).toBeCloseTo(0.03 - 3 * 1.4826 * 0.001, 10);
    expect(driftWarnings(result).some((w) => w.startsWith('noise flag rate 0.20% is below'))).toBe(true);
  });

  it('says when a floor set the range, and words a run recorded before ranges were stored', () => {
    const flat = Array.from({ length: 7 }, () => day(13));
    const result = checkDrift(day(13, { speedKmh: q(40) }), flat);
    const speed = result.signals.find((s) => s.metric === 'speed_kmh.p50')!;
    expect(speed.scaleFrom).not.toBe('mad');
    expect(driftSentence(speed, result)).toMatch(/^median speed 40\.0 km\/h is above its normal range 1\d\.\d–2\d\.\d km\/h \(trailing 7 days, median ± 3 × (its floor deviation|twice the day's sampling error)/);
    // an old record: metric, value, median, scale, z and drift only
    const old = { metric: 'duration_min.p95', value: 80, median: 40, scale: 5, robustZ: 8, drift: true };
    expect(driftSentence(old, { trailingDays: 14, options: { threshold: 3 } })).toBe(
      '95th percentile duration 80.0 min is above its normal range 25.0–55.0 min (trailing 14 days, median ± 3 robust SD)',
    );
  });
});
