import { describe, expect, it } from 'vitest';
import { quantiles, summarizeDay, summaryMetrics } from '../../../src/compute/monitoring/featureSummary.js';
import { DEFAULT_DETECTOR, detectOutliers } from '../../../src/compute/detectOutliers.js';
import { OUTLIER_REASONS, reasonCode } from '../../../src/compute/outlierReasons.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

describe('feature summary of a day', () => {
  it('takes order statistics at rank round(q (n - 1)) and the mean', () => {
    const values = Float64Array.from({ length: 101 }, (_, i) => (i * 37) % 101); // 0..100 shuffled
    expect(quantiles(values)).toEqual({ mean: 50, p05: 5, p25: 25, p50: 50, p75: 75, p95: 95 });
    expect(quantiles(Float64Array.from([7]))).toEqual({ mean: 7, p05: 7, p25: 7, p50: 7, p75: 7, p95: 7 });
    expect(quantiles(new Float64Array(0)).p50).toBeNaN();
    const random = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
    const sorted = Float64Array.from(random).sort();
    const q = quantiles(Float64Array.from(random));
    for (const [p, key] of [[0.05, 'p05'], [0.25, 'p25'], [0.5, 'p50'], [0.75, 'p75'], [0.95, 'p95']] as const) {
      expect(q[key]).toBe(sorted[Math.round(p * 4999)]);
    }
  });

  it('summarises the valid rides and the flag rates by reason', () => {
    const distance = Float64Array.from([1, 2, 3, 4, -1, 5]);
    const duration = Float64Array.from([6, 6, 6, 6, 10, 0]);
    const codes = new Uint8Array([0, 0, reasonCode('noise'), 0, reasonCode('invalid_distance'), reasonCode('invalid_duration')]);
    const s = summarizeDay(distance, duration, { reasonCode: codes, reasonNames: OUTLIER_REASONS });
    expect(s.rides).toBe(6);
    expect(s.validRides).toBe(4); // the noise ride is valid: a detector flagged it, not a rule
    expect(s.distanceKm).toEqual({ mean: 2.5, p05: 1, p25: 2, p50: 3, p75: 3, p95: 4 });
    expect(s.durationMin.p50).toBe(6);
    expect(s.speedKmh).toEqual({ mean: 25, p05: 10, p25: 20, p50: 30, p75: 30, p95: 40 });
    expect(s.flagRate).toBeCloseTo(3 / 6, 12);
    expect(s.flagRateByReason).toEqual({ noise: 1 / 6, invalid_distance: 1 / 6, invalid_duration: 1 / 6 });
    const metrics = summaryMetrics(s);
    expect(metrics['flag_rate']).toBeCloseTo(0.5, 12);
    expect(metrics['flag_rate.noise']).toBeCloseTo(1 / 6, 12);
    expect(metrics['speed_kmh.p95']).toBe(40);
    expect(Object.keys(metrics)).toHaveLength(1 + 3 + 18);
  });

  it('summarises a detection result directly, as JSON-safe numbers', async () => {
    await initTensorBackend();
    const day = simulateRides(20_000, 2);
    const result = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR);
    const s = summarizeDay(day.distanceKm, day.durationMin, result);
    expect(s.rides).toBe(20_000);
    expect(s.validRides).toBe(result.resolved.validRides);
    expect(s.flagRate).toBeCloseTo(result.outliers / 20_000, 12);
    expect(s.speedKmh.p50).toBeGreaterThan(28);
    expect(s.speedKmh.p50).toBeLessThan(32);
    expect(s.distanceKm.p50).toBeGreaterThan(4.5);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
