import { describe, expect, it } from 'vitest';
import { applyValidityRules } from '../../../src/compute/prepare/validityRules.js';
import { OUTLIER_REASONS } from '../../../src/compute/outlierReasons.js';
import { detectOutliers } from '../../../src/compute/detectOutliers.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';

const name = (code: number) => (code === 0 ? 'valid' : OUTLIER_REASONS[code - 1]);

describe('validity rules', () => {
  it('names the rule each impossible ride breaks', () => {
    const distance = Float64Array.from([2, 2, 2, -1, NaN, 2, Infinity, 0]);
    const duration = Float64Array.from([10, 0, -5, 10, 10, NaN, 10, 10]);
    expect(Array.from(applyValidityRules(distance, duration), name)).toEqual([
      'valid',
      'invalid_duration',
      'invalid_duration',
      'invalid_distance',
      'non_finite',
      'non_finite',
      'non_finite',
      'no_trip',
    ]);
  });

  it('keeps rule-flagged rides out of scaling and clustering', async () => {
    await initTensorBackend();
    const day = simulateRides(2000, 3);
    const clean = detectOutliers(day.distanceKm, day.durationMin, { eps: 0.3, minSamples: 10, minClusterShare: 0 });
    // the same day plus wild impossible rides: the valid rides' flags must not move
    const distance = Float64Array.from([...day.distanceKm, -500, 1e9, 3]);
    const duration = Float64Array.from([...day.durationMin, 10, NaN, -1e6]);
    const dirty = detectOutliers(distance, duration, { eps: 0.3, minSamples: 10, minClusterShare: 0 });
    expect(Array.from(dirty.isOutlier.subarray(0, 2000))).toEqual(Array.from(clean.isOutlier));
    expect(dirty.scaler).toEqual(clean.scaler);
    expect(Array.from(dirty.reasonCode.subarray(2000), name)).toEqual(['invalid_distance', 'non_finite', 'invalid_duration']);
    expect(Array.from(dirty.score.subarray(2000)).every(Number.isNaN)).toBe(true);
    expect(dirty.outliersByReason.invalid_distance).toBe(1);
  });
});
