import { describe, expect, it } from 'vitest';
import { detectOutliers } from '../../src/compute/detectOutliers.js';
import { initTensorBackend } from '../../src/compute/tensorBackend.js';
import { loadBookRides } from '../support/bookFixture.js';

describe("the book's worked example", () => {
  it('flags exactly the rides the book labels -1 (eps 0.3, min_samples 10, noise only)', async () => {
    await initTensorBackend();
    const rides = loadBookRides();
    expect(rides).toHaveLength(400);
    const result = detectOutliers(
      Float64Array.from(rides, (r) => r.distanceKm),
      Float64Array.from(rides, (r) => r.durationMin),
      { eps: 0.3, minSamples: 10, minClusterShare: 0 },
    );
    const flagged = rides.filter((_, i) => result.isOutlier[i] === 1).map((r) => r.rideId);
    const bookNoise = rides.filter((r) => r.label === -1).map((r) => r.rideId);
    expect(bookNoise.length).toBeGreaterThan(0);
    expect(flagged).toEqual(bookNoise);
    // and the cluster structure agrees: the book found one cluster
    const bookClusters = new Set(rides.filter((r) => r.label >= 0).map((r) => r.label));
    expect(result.clusters.count).toBe(bookClusters.size);
    expect(result.outliersByReason).toEqual({ noise: bookNoise.length });
  });

  it('scores noise above 1 eps and normal core rides 0', async () => {
    await initTensorBackend();
    const rides = loadBookRides();
    const result = detectOutliers(
      Float64Array.from(rides, (r) => r.distanceKm),
      Float64Array.from(rides, (r) => r.durationMin),
      { eps: 0.3, minSamples: 10, minClusterShare: 0 },
    );
    for (let i = 0; i < rides.length; i++) {
      if (result.isOutlier[i]) expect(result.score[i]).toBeGreaterThan(1);
      else expect(result.score[i]).toBeLessThanOrEqual(1);
    }
    expect(Array.from(result.score).filter((s) => s === 0).length).toBeGreaterThan(300);
  });
});
