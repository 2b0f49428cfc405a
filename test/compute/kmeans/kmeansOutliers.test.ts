import { describe, expect, it } from 'vitest';
import { detectOutliers, KMEANS_DEFAULTS } from '../../../src/compute/detectOutliers.js';
import { kmeansOutliers, loadKmeans } from '../../../src/compute/kmeans/kmeansOutliers.js';
import { OUTLIER_REASONS } from '../../../src/compute/outlierReasons.js';
import { rideHashes } from '../../../src/compute/prepare/rideSample.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';
import { scoreFlags } from '../../../src/compute/simulation/evaluateDetector.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

/** two tight blobs of 500 points and 20 far points (2% of the set) */
function twoBlobsAndFarPoints(): { xs: Float64Array; ys: Float64Array; far: Set<number> } {
  const r = new SeededRandom(11);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < 500; i++) {
    xs.push(r.normal(-3, 0.3));
    ys.push(r.normal(0, 0.3));
    xs.push(r.normal(3, 0.3));
    ys.push(r.normal(1, 0.3));
  }
  const far = new Set<number>();
  for (let i = 0; i < 20; i++) {
    far.add(xs.length);
    const angle = (2 * Math.PI * i) / 20;
    xs.push(8 * Math.cos(angle));
    ys.push(8 * Math.sin(angle));
  }
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys), far };
}

describe('k-means outliers', () => {
  it('flags exactly the far points when the contamination is their share', async () => {
    await initTensorBackend();
    await loadKmeans();
    const { xs, ys, far } = twoBlobsAndFarPoints();
    const outcome = kmeansOutliers(xs, ys, rideHashes(xs, ys), { k: 2, contamination: 20 / 1020, fitSampleSize: 20_000, seed: 1 });
    const flagged = new Set(Array.from(outcome.isOutlier.keys()).filter((i) => outcome.isOutlier[i] === 1));
    expect(flagged).toEqual(far);
    // the centroids are the blobs' centres (the far points pull them a little)
    const centroids = [...outcome.centroids].sort((a, b) => a[0] - b[0]);
    expect(centroids[0][0]).toBeCloseTo(-3, 0);
    expect(centroids[1][0]).toBeCloseTo(3, 0);
    // threshold: the largest distance among the rides kept
    const keptMax = Math.max(...Array.from(outcome.distance).filter((_, i) => !far.has(i)));
    expect(outcome.threshold).toBe(keptMax);
    for (const i of far) expect(outcome.distance[i]).toBeGreaterThan(outcome.threshold);
  });

  it('computes distances to the nearest centroid', async () => {
    await initTensorBackend();
    await loadKmeans();
    const { xs, ys } = twoBlobsAndFarPoints();
    const outcome = kmeansOutliers(xs, ys, rideHashes(xs, ys), { k: 2, contamination: 0.05, fitSampleSize: 20_000, seed: 1 });
    for (let i = 0; i < xs.length; i += 13) {
      const d = outcome.centroids.map(([cx, cy]) => Math.hypot(xs[i] - cx, ys[i] - cy));
      const nearest = d.indexOf(Math.min(...d));
      expect(outcome.labels[i]).toBe(nearest);
      expect(outcome.distance[i]).toBeCloseTo(d[nearest], 4); // float32 tensors
    }
    expect(outcome.sizes.reduce((a, b) => a + b, 0)).toBe(xs.length);
    expect(Array.from(outcome.isOutlier).filter((v) => v === 1).length).toBe(Math.round(0.05 * xs.length));
  });

  it('flags nothing with contamination 0, and rejects a share of 1', async () => {
    await initTensorBackend();
    await loadKmeans();
    const { xs, ys } = twoBlobsAndFarPoints();
    const none = kmeansOutliers(xs, ys, rideHashes(xs, ys), { k: 2, contamination: 0, fitSampleSize: 20_000, seed: 1 });
    expect(Array.from(none.isOutlier).every((v) => v === 0)).toBe(true);
    expect(() => kmeansOutliers(xs, ys, rideHashes(xs, ys), { k: 2, contamination: 1, fitSampleSize: 20_000, seed: 1 })).toThrow(/contamination/);
  });

  it('runs through detectOutliers: reason kmeans_distance, score = distance / threshold, resolved parameters', async () => {
    await initTensorBackend();
    await loadKmeans();
    const day = simulateRides(30_000, 3);
    const result = detectOutliers(day.distanceKm, day.durationMin, { ...KMEANS_DEFAULTS, fitSampleSize: 5000 });
    expect(result.resolved.algorithm).toBe('kmeans');
    expect(result.resolved.kmeans).toMatchObject({ k: 2, contamination: 0.05, fittedRides: expect.any(Number), seed: 1 });
    expect(result.resolved.kmeans!.fittedRides).toBeGreaterThan(4500);
    expect(result.resolved.kmeans!.fittedRides).toBeLessThan(5500);
    expect(result.resolved.dbscan).toBeUndefined();
    const flagged = Array.from(result.isOutlier).filter((v) => v === 1).length;
    const valid = result.resolved.validRides;
    expect(result.outliersByReason.kmeans_distance).toBe(Math.round(0.05 * valid));
    expect(flagged).toBe(result.outliers);
    for (let i = 0; i < day.group.length; i++) {
      const reason = result.reasonCode[i] === 0 ? null : OUTLIER_REASONS[result.reasonCode[i] - 1];
      if (reason === 'kmeans_distance') expect(result.score[i]).toBeGreaterThanOrEqual(1); // > 1 before rounding to 0.001
      else if (reason === null) expect(result.score[i]).toBeLessThanOrEqual(1);
    }
    expect(result.clusters.count).toBe(2);
    expect(result.clusters.sizes.reduce((a, b) => a + b, 0)).toBe(valid);
    // it finds anomalies: far better than chance (5% flagged at random gives precision 0.075)
    expect(scoreFlags(result.isOutlier, day.group).precision).toBeGreaterThan(0.6);
    // and the same centroids from the same rides in another order
    const order = Array.from(day.group.keys()).reverse();
    const again = detectOutliers(
      Float64Array.from(order, (i) => day.distanceKm[i]),
      Float64Array.from(order, (i) => day.durationMin[i]),
      { ...KMEANS_DEFAULTS, fitSampleSize: 5000 },
    );
    const c1 = result.resolved.kmeans!.centroids;
    const c2 = again.resolved.kmeans!.centroids;
    for (let c = 0; c < c1.length; c++) for (let d = 0; d < 2; d++) expect(c2[c][d]).toBeCloseTo(c1[c][d], 4);
  });
});
