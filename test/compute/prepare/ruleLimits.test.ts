import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyValidityRules, DEFAULT_RULE_LIMITS } from '../../../src/compute/prepare/validityRules.js';
import { OUTLIER_REASONS, RULE_REASONS } from '../../../src/compute/outlierReasons.js';
import { BOOK_RECIPE, DEFAULT_DETECTOR, detectOutliers, KMEANS_DEFAULTS } from '../../../src/compute/detectOutliers.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';
import { loadKmeans } from '../../../src/compute/kmeans/kmeansOutliers.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';

const name = (code: number) => (code === 0 ? 'valid' : OUTLIER_REASONS[code - 1]);
const rules = (d: number[], t: number[], limits = {}) => Array.from(applyValidityRules(Float64Array.from(d), Float64Array.from(t), limits), name);

/** The TLC sample's rides as (distance km, duration min): miles × 1.609344, dropoff − pickup. */
function loadTlcSample(): { distanceKm: Float64Array; durationMin: Float64Array } {
  const path = fileURLToPath(new URL('../../fixtures/tlc/yellow_tripdata_2021-01_head.csv', import.meta.url));
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const [pickup, dropoff, distance] = ['tpep_pickup_datetime', 'tpep_dropoff_datetime', 'trip_distance'].map((c) => header.indexOf(c));
  const rows = lines.slice(1).map((line) => line.split(','));
  const at = (s: string | undefined) => Date.parse(`${s?.replace(' ', 'T')}Z`);
  return {
    distanceKm: Float64Array.from(rows, (f) => (f[distance] ? Number(f[distance]) * 1.609344 : NaN)),
    durationMin: Float64Array.from(rows, (f) => (at(f[dropoff]) - at(f[pickup])) / 60_000),
  };
}

describe('the rules beyond the basic ones', () => {
  it('flags implied speeds above the limit, and no others', () => {
    // 150 km/h exactly is allowed: 2.5 km in 1 min
    expect(rules([2.5, 2.6, 300, 10], [1, 1, 119, 4])).toEqual(['valid', 'speed_limit', 'speed_limit', 'valid']);
    expect(rules([2.6], [1], { maxSpeedKmh: 200 })).toEqual(['valid']);
  });

  it('flags long rides over short distances, but not long trips', () => {
    expect(rules([5, 5, 99, 100, 150], [240, 241, 300, 300, 300])).toEqual(['valid', 'duration_limit', 'duration_limit', 'valid', 'valid']);
    expect(rules([5], [241], { maxDurationMin: 300 })).toEqual(['valid']);
  });

  it('flags zero-distance rides that last longer than the limit, and shorter ones as no-trip records', () => {
    expect(rules([0, 0, 0.01, 0], [10, 10.5, 30, 2000])).toEqual(['no_trip', 'zero_distance', 'valid', 'zero_distance']);
    expect(rules([0], [10.5], { zeroDistanceMaxMin: 30 })).toEqual(['no_trip']);
    expect(rules([0], [31], { zeroDistanceMaxMin: 30 })).toEqual(['zero_distance']);
  });

  it("flags a taximeter's rides under 100 m that end within the zero-distance limit as no-trip records", () => {
    // 99 m in 5 s is a meter started and stopped; 100 m is a (short) trip; 50 m over 11 min is not a no-trip
    const metered = (d: number[], t: number[], limits = {}) =>
      Array.from(applyValidityRules(Float64Array.from(d), Float64Array.from(t), limits, { fareAmount: new Float64Array(d.length).fill(3) }), name);
    expect(metered([0.099, 0.1, 0.05, 0.05], [0.08, 0.03, 11, 3])).toEqual(['no_trip', 'speed_limit', 'valid', 'no_trip']);
    expect(metered([0.4], [2], { noTripMaxKm: 0.5 })).toEqual(['no_trip']);
    // without fares (the company CSV, the book's simulated day) only an exact zero is a no-trip
    expect(rules([0.099, 0], [0.08, 3])).toEqual(['valid', 'no_trip']);
  });

  it('flags negative fares and voided trips as void_fare, where fares exist', () => {
    const fares = { fareAmount: Float64Array.from([-52, 0, 12, NaN, 12]), paymentType: Float64Array.from([4, 1, 6, NaN, NaN]) };
    const codes = applyValidityRules(Float64Array.from([3, 3, 3, 3, 3]), Float64Array.from([12, 12, 12, 12, 12]), {}, fares);
    expect(Array.from(codes, name)).toEqual(['void_fare', 'valid', 'void_fare', 'valid', 'valid']);
    // impossible values still come first
    expect(Array.from(applyValidityRules(Float64Array.from([-1]), Float64Array.from([5]), {}, { fareAmount: Float64Array.from([-5]) }), name)).toEqual(['invalid_distance']);
  });

  it('names the first rule a ride breaks: impossible values before limits', () => {
    expect(rules([NaN, 5, -1, 0, 500], [0, 0, 300, 0, 180])).toEqual(['non_finite', 'invalid_duration', 'invalid_distance', 'invalid_duration', 'speed_limit']);
  });

  it('rejects a negative or missing limit', () => {
    expect(() => rules([1], [1], { maxSpeedKmh: -1 })).toThrow(/maxSpeedKmh/);
    expect(() => rules([1], [1], { maxDurationMin: NaN })).toThrow(/maxDurationMin/);
  });

  it('flags every impossible ride of the TLC sample with its rule, whatever the detector', async () => {
    await initTensorBackend();
    await loadKmeans(); // KMEANS_DEFAULTS below: ml-kmeans is loaded on demand
    const tlc = loadTlcSample();
    const codes = applyValidityRules(tlc.distanceKm, tlc.durationMin);
    const counts: Record<string, number> = {};
    for (const code of codes) if (code !== 0) counts[name(code)] = (counts[name(code)] ?? 0) + 1;
    // the sample has each kind: clocks running backwards, 17,574 km/h, meters left on for a day
    expect(counts.invalid_duration).toBeGreaterThan(0);
    expect(counts.speed_limit).toBeGreaterThanOrEqual(20);
    expect(counts.duration_limit).toBeGreaterThanOrEqual(50);
    expect(counts.zero_distance).toBeGreaterThanOrEqual(100);
    // the other zero-distance records are no-trip records (237 counted in the file; those under 100 m
    // join them when the fares are read, as scoring does)
    expect(counts.no_trip).toBeGreaterThanOrEqual(230);
    for (const params of [DEFAULT_DETECTOR, BOOK_RECIPE, KMEANS_DEFAULTS, { eps: 0.3, minSamples: 10, minClusterShare: 0.05 }]) {
      const result = detectOutliers(tlc.distanceKm, tlc.durationMin, params);
      for (let i = 0; i < codes.length; i++) {
        if (codes[i] === 0) continue;
        expect(result.isOutlier[i]).toBe(1);
        expect(result.reasonCode[i]).toBe(codes[i]);
        expect(result.score[i]).toBeNaN();
        expect(result.labels[i]).toBe(-2);
      }
      for (const reason of RULE_REASONS) expect(result.outliersByReason[reason] ?? 0).toBe(counts[reason] ?? 0);
      expect(result.resolved.rules).toEqual(DEFAULT_RULE_LIMITS);
      expect(result.resolved.validRides).toBe(codes.filter((c) => c === 0).length);
    }
  });

  it('uses the limits it is given, and records them', async () => {
    await initTensorBackend();
    const day = simulateRides(1000, 4);
    const distance = Float64Array.from([...day.distanceKm, 10, 10]);
    const duration = Float64Array.from([...day.durationMin, 3, 5]); // 200 and 120 km/h
    const strict = detectOutliers(distance, duration, { ...DEFAULT_DETECTOR, rules: { maxSpeedKmh: 100 } });
    expect(Array.from(strict.reasonCode.subarray(1000), name)).toEqual(['speed_limit', 'speed_limit']);
    expect(strict.resolved.rules.maxSpeedKmh).toBe(100);
    const loose = detectOutliers(distance, duration, DEFAULT_DETECTOR);
    expect(name(loose.reasonCode[1000])).toBe('speed_limit');
    expect(['valid', 'noise', 'small_cluster']).toContain(name(loose.reasonCode[1001]));
  });
});
