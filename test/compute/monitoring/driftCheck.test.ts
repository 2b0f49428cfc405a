import { describe, expect, it } from 'vitest';
import { checkDrift } from '../../../src/compute/monitoring/driftCheck.js';
import type { DaySummary, Quantiles } from '../../../src/compute/monitoring/featureSummary.js';

const q = (median: number, spread: number): Quantiles => ({
  mean: median,
  p05: median - 2 * spread,
  p25: median - spread,
  p50: median,
  p75: median + spread,
  p95: median + 2 * spread,
});

/** a day with a little day-to-day wobble (deterministic in k) */
function day(k: number, overrides: Partial<DaySummary> = {}): DaySummary {
  const wobble = ((k * 7) % 5) - 2; // -2..2
  return {
    rides: 100_000 + 1000 * wobble,
    validRides: 99_900 + 1000 * wobble,
    distanceKm: q(5 + 0.02 * wobble, 2.5),
    durationMin: q(10 + 0.05 * wobble, 4),
    speedKmh: q(30 + 0.1 * wobble, 3),
    flagRate: 0.075 + 0.001 * wobble,
    flagRateByReason: { noise: 0.07 + 0.001 * wobble, speed_limit: 0.0001 },
    ...overrides,
  };
}

const trailing = Array.from({ length: 14 }, (_, k) => day(k));

describe('drift against the trailing days', () => {
  it('finds no drift on a day like the others', () => {
    const result = checkDrift(day(20), trailing);
    expect(result.verdict).toBe('stable');
    expect(result.drift).toBe(false);
    expect(result.trailingDays).toBe(14);
    expect(result.drifted).toEqual([]);
    expect(result.signals.length).toBeGreaterThan(20);
    for (const s of result.signals) expect(Math.abs(s.robustZ)).toBeLessThanOrEqual(3);
  });

  it('names the one metric that jumped, and only that one', () => {
    const today = day(20, { speedKmh: { ...q(30, 3), p95: 60 } });
    const result = checkDrift(today, trailing);
    expect(result.verdict).toBe('drift');
    expect(result.drifted).toEqual(['speed_kmh.p95']);
    const signal = result.signals.find((s) => s.metric === 'speed_kmh.p95')!;
    expect(signal).toMatchObject({ value: 60, drift: true });
    expect(signal.median).toBeCloseTo(36, 6);
    expect(signal.robustZ).toBeGreaterThan(3);
  });

  it('sees a flag rate that moves, by reason too, including a reason new today', () => {
    const today = day(20, { flagRate: 0.2, flagRateByReason: { noise: 0.07, speed_limit: 0.0001, zero_distance: 0.13 } });
    const result = checkDrift(today, trailing);
    expect(result.drifted.sort()).toEqual(['flag_rate', 'flag_rate.zero_distance']);
    // a reason flat over the window moves by less than the floor (0.1 point): not drift
    const small = checkDrift(day(20, { flagRateByReason: { noise: 0.07, speed_limit: 0.0008 } }), trailing);
    expect(small.drift).toBe(false);
  });

  it('uses the last `window` days only, with the threshold given', () => {
    // 20 older days of twice the speed: out of the default window, the majority of a 34-day one
    const old = Array.from({ length: 20 }, (_, k) => day(k, { speedKmh: q(60, 3) }));
    expect(checkDrift(day(20), [...old, ...trailing]).drift).toBe(false);
    expect(checkDrift(day(20), [...old, ...trailing], { window: 34 }).drifted).toContain('speed_kmh.p50');
    const today = day(20, { speedKmh: { ...q(30, 3), p95: 36.5 } });
    expect(checkDrift(today, trailing).drift).toBe(false);
    expect(checkDrift(today, trailing, { threshold: 0.5 }).drifted).toContain('speed_kmh.p95');
  });

  it('gives no verdict with fewer than five trailing days, and says so', () => {
    const today = day(20, { flagRate: 0.9 });
    const result = checkDrift(today, trailing.slice(0, 4));
    expect(result).toMatchObject({ verdict: 'insufficient_history', drift: false, trailingDays: 4, drifted: [], signals: [] });
    expect(checkDrift(today, trailing.slice(0, 5)).verdict).toBe('drift');
    expect(checkDrift(today, [], { minDays: 0 }).verdict).toBe('stable'); // nothing to compare with
  });
});

describe('drift check on simulated days (sampling noise is not drift)', () => {
  it('calls no day of one distribution drifted, and a day with half its rides anomalous drifted', async () => {
    const { simulateRides } = await import('../../../src/compute/simulation/simulateRides.js');
    const { detectOutliers, DEFAULT_DETECTOR } = await import('../../../src/compute/detectOutliers.js');
    const { summarizeDay } = await import('../../../src/compute/monitoring/featureSummary.js');
    const { initTensorBackend } = await import('../../../src/compute/tensorBackend.js');
    await initTensorBackend();
    const summaries = [];
    const verdicts: string[] = [];
    for (let k = 0; k < 12; k++) {
      const d = simulateRides(2000, 300 + k);
      const s = summarizeDay(d.distanceKm, d.durationMin, detectOutliers(d.distanceKm, d.durationMin, { ...DEFAULT_DETECTOR }));
      verdicts.push(checkDrift(s, summaries).verdict);
      summaries.push(s);
    }
    expect(verdicts.filter((v) => v === 'drift')).toEqual([]);
    const odd = simulateRides(2000, 999, 0.5);
    const s = summarizeDay(odd.distanceKm, odd.durationMin, detectOutliers(odd.distanceKm, odd.durationMin, { ...DEFAULT_DETECTOR }));
    expect(checkDrift(s, summaries).drifted).toContain('flag_rate');
  });
});
