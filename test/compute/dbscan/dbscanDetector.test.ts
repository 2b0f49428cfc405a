import { describe, expect, it } from 'vitest';
import { autoMinSamples, medianKDistance, runDbscanDetector, VERDICT_NOISE, VERDICT_SMALL_CLUSTER } from '../../../src/compute/dbscan/dbscanDetector.js';
import { BOOK_RECIPE, DEFAULT_DETECTOR, detectOutliers } from '../../../src/compute/detectOutliers.js';
import { gridDbscan } from '../../../src/compute/dbscan/gridDbscan.js';
import { kthNeighbourDistances } from '../../../src/compute/dbscan/kthNeighbours.js';
import { NearestPoints } from '../../../src/compute/dbscan/nearestPoints.js';
import { hashSample, rideHashes } from '../../../src/compute/prepare/rideSample.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';
import { scoreFlags } from '../../../src/compute/simulation/evaluateDetector.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

function blobs(n: number, seed: number): { xs: Float64Array; ys: Float64Array } {
  const r = new SeededRandom(seed);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const kind = r.next();
    if (kind < 0.6) [xs[i], ys[i]] = [r.normal(0, 1), r.normal(0, 0.5)];
    else if (kind < 0.94) [xs[i], ys[i]] = [r.normal(5, 0.7), r.normal(3, 0.7)];
    else if (kind < 0.97) [xs[i], ys[i]] = [r.normal(-4, 0.2), r.normal(4, 0.2)]; // a small dense group
    else [xs[i], ys[i]] = [r.uniform(-10, 10), r.uniform(-10, 10)];
  }
  return { xs, ys };
}

function shuffled<T extends Float64Array>(arrays: T[], seed: number): { arrays: T[]; order: number[] } {
  const r = new SeededRandom(seed);
  const order = Array.from({ length: arrays[0].length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { arrays: arrays.map((a) => a.map((_, k) => a[order[k]]) as T), order };
}

describe('neighbour searches', () => {
  it('finds the k-th neighbour distance as brute force does (self counted first)', () => {
    const { xs, ys } = blobs(1500, 1);
    for (const k of [1, 2, 10, 40]) {
      const got = kthNeighbourDistances(xs, ys, xs, ys, k);
      for (let i = 0; i < xs.length; i += 7) {
        const d = Array.from(xs, (x, j) => Math.hypot(x - xs[i], ys[j] - ys[i])).sort((a, b) => a - b);
        expect(got[i]).toBeCloseTo(d[k - 1], 12);
      }
    }
  });

  it('finds the nearest point as brute force does, ties to the smaller index', () => {
    const { xs, ys } = blobs(2000, 2);
    const tree = new NearestPoints(xs, ys);
    const r = new SeededRandom(3);
    for (let q = 0; q < 500; q++) {
      const [x, y] = q % 2 ? [r.uniform(-30, 30), r.uniform(-30, 30)] : [xs[q], ys[q]];
      let best = Infinity;
      let index = -1;
      for (let j = 0; j < xs.length; j++) {
        const d2 = (xs[j] - x) ** 2 + (ys[j] - y) ** 2;
        if (d2 < best) [best, index] = [d2, j];
      }
      expect(tree.nearest(x, y)).toEqual({ index, distance2: best });
    }
    const dup = new NearestPoints(Float64Array.from([1, 0, 1]), Float64Array.from([1, 0, 1]));
    expect(dup.nearest(1.2, 1).index).toBe(0);
  });
});

describe('hash samples', () => {
  it('are the rides with the smallest hashes, the same whatever the input order, and nested', () => {
    const day = simulateRides(20_000, 5);
    const hashes = rideHashes(day.distanceKm, day.durationMin);
    const { arrays, order } = shuffled([day.distanceKm, day.durationMin], 6);
    const hashes2 = rideHashes(arrays[0], arrays[1]);
    const a = Array.from(hashSample(hashes, 2000));
    const b = Array.from(hashSample(hashes2, 2000), (k) => order[k]);
    expect(b).toEqual(a);
    expect(a).toHaveLength(2000);
    expect(Array.from(hashSample(hashes, 400))).toEqual(a.slice(0, 400));
    for (let k = 1; k < a.length; k++) expect(hashes[a[k]]).toBeGreaterThanOrEqual(hashes[a[k - 1]]);
    expect(hashSample(hashes, 1e9)).toHaveLength(20_000);
  });

  it('is as large as asked for on a day of identical rides', () => {
    const distance = new Float64Array(5000).fill(3);
    const duration = new Float64Array(5000).fill(6);
    const hashes = rideHashes(distance, duration);
    expect(new Set(hashes).size).toBe(1);
    expect(hashSample(hashes, 1000)).toHaveLength(1000);
  });
});

describe('DBSCAN with eps and min_samples from the day', () => {
  it('resolves eps as epsScale × the median k-distance, min_samples as 1/400 of the rides (at least 10)', () => {
    expect([400, 3999, 4000, 10_000, 50_000].map(autoMinSamples)).toEqual([10, 10, 10, 25, 125]);
    const { xs, ys } = blobs(8000, 4);
    const hashes = rideHashes(xs, ys);
    const outcome = runDbscanDetector(xs, ys, hashes, { eps: 'auto', minSamples: 'auto', minClusterShare: 0.05, epsScale: 3, sampleSize: Infinity });
    const queries = hashSample(hashes, 4096);
    const median = medianKDistance(xs, ys, Float64Array.from(queries, (i) => xs[i]), Float64Array.from(queries, (i) => ys[i]), 20);
    expect(outcome.resolved).toMatchObject({ minSamples: 20, epsScale: 3, kDistanceMedian: median, sampled: false, clusteredRides: 8000 });
    expect(outcome.resolved.eps).toBeCloseTo(3 * median, 3);
    // the clustering is plain DBSCAN with those parameters
    const reference = gridDbscan(xs, ys, outcome.resolved.eps, 20);
    expect(Array.from(outcome.labels)).toEqual(Array.from(reference.labels));
    // the small dense group is a cluster of its own, under 5% of the day: flagged as such
    const small = outcome.sizes.flatMap((size, c) => (outcome.keep[c] ? [] : [c]));
    expect(small.length).toBeGreaterThan(0);
    for (let i = 0; i < xs.length; i++) {
      if (outcome.labels[i] >= 0 && !outcome.keep[outcome.labels[i]]) expect(outcome.verdict[i]).toBe(VERDICT_SMALL_CLUSTER);
    }
  });

  it('on a sample: every ride takes the cluster of its nearest core ride within eps, outliers score their distance to a kept one', () => {
    const { xs, ys } = blobs(12_000, 7);
    const hashes = rideHashes(xs, ys);
    const sampleSize = 3000;
    const outcome = runDbscanDetector(xs, ys, hashes, { eps: 'auto', minSamples: 'auto', minClusterShare: 0.05, epsScale: 3, sampleSize });
    const { eps, minSamples } = outcome.resolved;
    expect(outcome.resolved.sampled).toBe(true);
    expect(minSamples).toBe(autoMinSamples(outcome.resolved.clusteredRides));
    // the reference: DBSCAN on the same sample, then brute force over its core rides
    const sample = hashSample(hashes, sampleSize);
    expect(sample.length).toBe(outcome.resolved.clusteredRides);
    const sx = Float64Array.from(sample, (i) => xs[i]);
    const sy = Float64Array.from(sample, (i) => ys[i]);
    const reference = gridDbscan(sx, sy, eps, minSamples);
    const cores = Array.from(sample.keys()).filter((j) => reference.isCore[j] === 1);
    const inSample = new Map(Array.from(sample, (i, j) => [i, j]));
    let outliers = 0;
    for (let i = 0; i < xs.length; i++) {
      let best = Infinity;
      let label = -1;
      let bestKept = Infinity;
      for (const j of cores) {
        const d2 = (sx[j] - xs[i]) ** 2 + (sy[j] - ys[i]) ** 2;
        if (d2 <= eps * eps && d2 < best) [best, label] = [d2, reference.labels[j]];
        if (outcome.keep[reference.labels[j]] && d2 < bestKept) bestKept = d2;
      }
      const expected = inSample.has(i) ? reference.labels[inSample.get(i)!] : label;
      expect(outcome.labels[i]).toBe(expected);
      const normal = expected >= 0 && outcome.keep[expected] === 1;
      expect(outcome.verdict[i]).toBe(normal ? 0 : expected < 0 ? VERDICT_NOISE : VERDICT_SMALL_CLUSTER);
      if (normal) expect(outcome.distance[i]).toBe(0);
      else {
        outliers++;
        expect(outcome.distance[i]).toBeCloseTo(Math.sqrt(bestKept) / eps, 9);
        expect(outcome.distance[i]).toBeGreaterThan(0);
      }
    }
    expect(outliers).toBeGreaterThan(100);
    // cluster sizes count every ride, in the sample or not
    expect(outcome.sizes.reduce((a, b) => a + b, 0)).toBe(Array.from(outcome.labels).filter((l) => l >= 0).length);
  });

  it('scores a day the same whatever the order of its rides', async () => {
    await initTensorBackend();
    const day = simulateRides(60_000, 8); // above the sample size
    const first = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR);
    const { arrays, order } = shuffled([day.distanceKm, day.durationMin], 9);
    const second = detectOutliers(arrays[0], arrays[1], DEFAULT_DETECTOR);
    // the sample is the same rides; the scaler's float32 sums differ in their last bits, eps (4 digits) does not
    const { kDistanceMedian, ...resolved } = first.resolved.dbscan!;
    expect(second.resolved.dbscan).toMatchObject(resolved);
    expect(second.resolved.dbscan!.kDistanceMedian).toBeCloseTo(kDistanceMedian!, 5);
    expect(first.resolved.dbscan!.sampled).toBe(true);
    // float32 sums in the scaler depend on the order: a ride exactly at eps may move, nothing more
    let moved = 0;
    for (let k = 0; k < order.length; k++) if (second.isOutlier[k] !== first.isOutlier[order[k]]) moved++;
    expect(moved).toBeLessThanOrEqual(3);
  });

  it('records what it resolved, and keeps the old parameter shape meaning what it meant', async () => {
    await initTensorBackend();
    const day = simulateRides(3000, 2);
    const old = detectOutliers(day.distanceKm, day.durationMin, { eps: 0.3, minSamples: 10, minClusterShare: 0 });
    const book = detectOutliers(day.distanceKm, day.durationMin, BOOK_RECIPE);
    expect(Array.from(old.isOutlier)).toEqual(Array.from(book.isOutlier));
    expect(Array.from(old.score)).toEqual(Array.from(book.score));
    expect(old.resolved).toMatchObject({
      algorithm: 'dbscan',
      features: 'distance_duration',
      dbscan: { eps: 0.3, minSamples: 10, minClusterShare: 0, epsScale: null, kDistanceMedian: null, clusteredRides: 3000, sampled: false },
    });
    expect(old.scaler!.features).toEqual(['distance_km', 'duration_min']);
    const auto = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR);
    expect(auto.scaler!.features).toEqual(['asinh_distance_per_median', 'log1p_speed_kmh']);
    expect(auto.resolved.distanceScaleKm).toBeGreaterThan(4.5);
    expect(auto.resolved.distanceScaleKm).toBeLessThan(5.5);
    expect(auto.resolved.dbscan!.eps).toBeGreaterThan(0);
    expect(auto.resolved.dbscan!.minSamples).toBe(10);
    // a given min_samples counts rides of the whole day: no sampling then, even with a sample size
    const whole = detectOutliers(day.distanceKm, day.durationMin, { ...DEFAULT_DETECTOR, minSamples: 10, sampleSize: 1000 });
    expect(whole.resolved.dbscan!.sampled).toBe(false);
  });
});

describe('the default detector on the book scenario', () => {
  it.each([10_000, 100_000, 1_000_000])('keeps F1 at or above 0.70 at %i rides, every anomaly group found', async (n) => {
    await initTensorBackend();
    const day = simulateRides(n, 1);
    const result = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR);
    const metrics = scoreFlags(result.isOutlier, day.group);
    expect(metrics.f1).toBeGreaterThanOrEqual(0.7);
    for (const g of metrics.byGroup) expect(g.recall).toBeGreaterThan(0.5);
    // where the book's recipe fails
    const book = scoreFlags(detectOutliers(day.distanceKm, day.durationMin, BOOK_RECIPE).isOutlier, day.group);
    expect(book.f1).toBeLessThan(0.45);
  });
});
