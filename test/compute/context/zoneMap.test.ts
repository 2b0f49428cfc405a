import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitZoneMap, MAP_PAIRS_PER_ZONE, MAX_MAP_PAIRS, MIN_ZONE_RIDES, type ZoneMapInput } from '../../../src/compute/context/zoneMap.js';
import { buildBaseline, SHRINK_RIDES, zoneArea } from '../../../src/compute/context/baseline.js';
import { dayPairMoments, emptyMoments } from '../../../src/compute/context/pairMoments.js';
import { applyValidityRules } from '../../../src/compute/prepare/validityRules.js';
import { DEFAULT_DETECTOR, detectOutliers } from '../../../src/compute/detectOutliers.js';
import { OUTLIER_REASONS, RULE_REASONS } from '../../../src/compute/outlierReasons.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

// A known layout: 30 zones scattered over a 12 × 12 km square (seeded), trips between two zones of
// ln(distance) = ½ ln(|x_i − x_j|² + C²) plus noise.
const C = 1.2;
function layout(zones: number, seed: number) {
  const random = new SeededRandom(seed);
  return Array.from({ length: zones }, () => [12 * random.next(), 12 * random.next()] as const);
}
const trueLnD = (points: readonly (readonly [number, number])[], i: number, j: number) =>
  0.5 * Math.log((points[i][0] - points[j][0]) ** 2 + (points[i][1] - points[j][1]) ** 2 + C * C);

/** the pairs i < j kept with probability `share`, zone ids 1 + index; the rest returned apart */
function pairs(points: readonly (readonly [number, number])[], share: number, seed: number, noise = 0.02) {
  const random = new SeededRandom(seed);
  const seen: [number, number][] = [];
  const unseen: [number, number][] = [];
  for (let i = 0; i < points.length; i++) for (let j = i + 1; j < points.length; j++) (random.next() < share ? seen : unseen).push([i, j]);
  const input: ZoneMapInput = {
    p: Int32Array.from(seen, ([i]) => i + 1),
    q: Int32Array.from(seen, ([, j]) => j + 1),
    meanD: Float64Array.from(seen, ([i, j]) => trueLnD(points, i, j) + random.normal(0, noise)),
    rides: Float64Array.from(seen, () => 1 + Math.floor(random.next() * 20)),
  };
  return { input, seen, unseen };
}

/** Spearman's rank correlation */
function rankCorrelation(a: number[], b: number[]): number {
  const ranks = (xs: number[]) => {
    const order = xs.map((x, i) => [x, i] as const).sort((u, v) => u[0] - v[0]);
    const r = new Array<number>(xs.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('the zone map', () => {
  const points = layout(30, 7);

  it("recovers a known layout's distances, for pairs it never saw too", () => {
    // 40% of the 435 pairs seen: A–C must come from A–B and B–C
    const { input, seen, unseen } = pairs(points, 0.4, 11);
    const map = fitZoneMap(input)!;
    expect(map.zones).toBe(30);
    expect(map.pairs).toBe(seen.length);
    const errors = (list: [number, number][]) => list.map(([i, j]) => map.predict(i + 1, j + 1) - trueLnD(points, i, j));
    const rms = (xs: number[]) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
    // the pairs' own spread is 0.3–0.6 ln units in the 2019 sample; the map is far within it, and
    // no zone sits mirrored across its neighbours (the worst pair: a local minimum shows there)
    expect(rms(errors(seen))).toBeLessThan(0.04);
    expect(rms(errors(unseen))).toBeLessThan(0.05);
    expect(Math.max(...errors(unseen).map(Math.abs))).toBeLessThan(0.2);
    // the ordering of the unseen pairs' distances, which is what tells a long route
    const predicted = unseen.map(([i, j]) => map.predict(i + 1, j + 1));
    expect(rankCorrelation(predicted, unseen.map(([i, j]) => trueLnD(points, i, j)))).toBeGreaterThan(0.98);
    expect(map.c).toBeGreaterThan(0.8);
    expect(map.c).toBeLessThan(1.6);
  });

  it('is the same map from the same history, in whatever order its rows come', () => {
    const { input } = pairs(points, 0.5, 13, 0.1);
    const a = fitZoneMap(input, 300)!;
    const b = fitZoneMap(input, 300)!;
    const order = Array.from(input.p, (_, k) => k).reverse();
    const shuffled: ZoneMapInput = {
      // and with the pair's zones the other way round
      p: Int32Array.from(order, (k) => input.q[k]),
      q: Int32Array.from(order, (k) => input.p[k]),
      meanD: Float64Array.from(order, (k) => input.meanD[k]),
      rides: Float64Array.from(order, (k) => input.rides[k]),
    };
    const c = fitZoneMap(shuffled, 300)!;
    expect(Array.from(b.points)).toEqual(Array.from(a.points));
    expect(Array.from(c.points)).toEqual(Array.from(a.points));
    expect(c.c).toBe(a.c);
  });

  it("fits a large city's history on each zone's busiest pairs, and still recovers it", () => {
    const city = layout(200, 23);
    const { input } = pairs(city, 0.5, 29);
    expect(input.p.length).toBeGreaterThan(MAX_MAP_PAIRS);
    const map = fitZoneMap(input)!;
    expect(map.zones).toBe(200);
    expect(map.pairs).toBeLessThanOrEqual(200 * MAP_PAIRS_PER_ZONE);
    expect(map.pairs).toBeGreaterThanOrEqual(100 * MAP_PAIRS_PER_ZONE);
    // every pair, fitted or not
    let sq = 0;
    for (let i = 0; i < 200; i++) for (let j = i + 1; j < 200; j++) sq += (map.predict(i + 1, j + 1) - trueLnD(city, i, j)) ** 2;
    expect(Math.sqrt(sq / ((200 * 199) / 2))).toBeLessThan(0.05);
  });

  it('places only zones with enough rides, and needs three of them', () => {
    const input: ZoneMapInput = {
      p: Int32Array.from([1, 1, 2, 4]),
      q: Int32Array.from([2, 3, 3, 5]),
      meanD: Float64Array.from([1, 1.2, 0.9, 2]),
      rides: Float64Array.from([4, 4, 4, MIN_ZONE_RIDES - 1]),
    };
    const map = fitZoneMap(input, 200)!;
    expect(map.zones).toBe(3);
    expect(map.placed(4)).toBe(false);
    expect(map.predict(4, 5)).toBeNaN();
    expect(map.predict(1, 2)).toBeCloseTo(1, 1);
    expect(fitZoneMap({ ...input, rides: Float64Array.from([4, 0, 0, 0]) })).toBeNull();
  });
});

describe('the baseline with the zone map', () => {
  // zones 1–30 of the layout in one borough; every seen pair has 3 rides at its true distance ± 10%
  const points = layout(30, 7);
  const areas = new Map(points.map((_, z) => [z + 1, 'Borough'] as [number, string]));
  const { seen, unseen } = pairs(points, 0.4, 17);
  const random = new SeededRandom(19);
  const list: [number, number, number][] = [];
  for (const [i, j] of seen) for (let k = 0; k < 3; k++) list.push([i + 1, j + 1, Math.exp(trueLnD(points, i, j)) * (1 + 0.1 * random.normal(0, 1))]);
  const moments = dayPairMoments(
    Float64Array.from(list, (r) => r[2]),
    Float64Array.from(list, (r) => r[2] * 3),
    new Uint8Array(list.length).fill(1),
    Int16Array.from(list, (r) => r[0]),
    Int16Array.from(list, (r) => r[1]),
  );

  it("judges a pair it has not seen by the map's distance, not the borough's", () => {
    const withMap = buildBaseline(moments, areas, { zoneMap: true })!;
    const without = buildBaseline(moments, areas)!;
    expect(withMap.map?.zones).toBe(30);
    expect(without.map).toBeNull();
    const errorsWith: number[] = [];
    const errorsWithout: number[] = [];
    for (const [i, j] of unseen) {
      const ref = withMap.reference(i + 1, j + 1);
      expect(ref.level).toBe('zone_map');
      expect(without.reference(i + 1, j + 1).level).toBe('area_pair');
      errorsWith.push(Math.abs(ref.meanD - trueLnD(points, i, j)));
      errorsWithout.push(Math.abs(without.reference(i + 1, j + 1).meanD - trueLnD(points, i, j)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    expect(median(errorsWith)).toBeLessThan(0.1);
    expect(median(errorsWithout)).toBeGreaterThan(3 * median(errorsWith));
    // the map's spread: the rides' 10% about it, not the borough's spread of distances
    expect(withMap.reference(unseen[0][0] + 1, unseen[0][1] + 1).sdD).toBeLessThan(0.2);
    expect(without.reference(unseen[0][0] + 1, unseen[0][1] + 1).sdD).toBeGreaterThan(0.3);
  });

  it('keeps a well-seen pair its own, and a trip within one zone its area pair', () => {
    const [i, j] = seen[0];
    const many: [number, number, number][] = Array.from({ length: 40 }, () => [i + 1, j + 1, 9]);
    const busy = dayPairMoments(
      Float64Array.from([...list, ...many], (r) => r[2]),
      Float64Array.from([...list, ...many], (r) => r[2] * 3),
      new Uint8Array(list.length + many.length).fill(1),
      Int16Array.from([...list, ...many], (r) => r[0]),
      Int16Array.from([...list, ...many], (r) => r[1]),
    );
    const baseline = buildBaseline(busy, areas, { zoneMap: true })!;
    const ref = baseline.reference(i + 1, j + 1);
    expect(ref.level).toBe('zone_pair');
    // 43 rides against SHRINK_RIDES pseudo-rides at the map's distance
    expect(ref.meanD).toBeGreaterThan(Math.log(9) - (SHRINK_RIDES / 43) * 2);
    expect(baseline.reference(1, 1).level).not.toBe('zone_map');
  });
});

describe('the detector with the zone map on the TLC sample', () => {
  beforeAll(() => initTensorBackend());

  it('keeps every rule flag, and judges rides by the map', () => {
    const dir = new URL('../../fixtures/tlc/', import.meta.url);
    const lines = readFileSync(fileURLToPath(new URL('yellow_tripdata_2021-01_head.csv', dir)), 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const col = (name: string) => header.indexOf(name);
    const rows = lines.slice(1).map((line) => line.split(','));
    const at = (s: string | undefined) => Date.parse(`${s?.replace(' ', 'T')}Z`);
    const distanceKm = Float64Array.from(rows, (f) => (f[col('trip_distance')] ? Number(f[col('trip_distance')]) * 1.609344 : NaN));
    const durationMin = Float64Array.from(rows, (f) => (at(f[col('tpep_dropoff_datetime')]) - at(f[col('tpep_pickup_datetime')])) / 60_000);
    const fares = {
      fareAmount: Float64Array.from(rows, (f) => (f[col('fare_amount')] === '' ? NaN : Number(f[col('fare_amount')]))),
      paymentType: Float64Array.from(rows, (f) => (f[col('payment_type')] === '' ? NaN : Number(f[col('payment_type')]))),
    };
    const zones = { pickup: Int16Array.from(rows, (f) => Number(f[col('PULocationID')]) || 0), dropoff: Int16Array.from(rows, (f) => Number(f[col('DOLocationID')]) || 0) };
    const areaOf = new Map<number, string>();
    for (const line of readFileSync(fileURLToPath(new URL('taxi_zone_lookup.csv', dir)), 'utf8').trim().split('\n').slice(1)) {
      const f = line.split(',').map((x) => x.replace(/"/g, ''));
      areaOf.set(Number(f[0]), zoneArea(f[1], f[2], f[3]));
    }
    const codes = applyValidityRules(distanceKm, durationMin, {}, fares);
    const ruleFlags = codes.filter((c) => c !== 0).length;
    expect(ruleFlags).toBeGreaterThan(500);
    // the day is its own history (a first day): the map is fitted on its pairs
    const result = detectOutliers(distanceKm, durationMin, { ...DEFAULT_DETECTOR, context: 'zone_map' }, { fares, zones, history: { moments: emptyMoments(), days: 0, areaOf } });
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] === 0) continue;
      expect(result.isOutlier[i]).toBe(1);
      expect(OUTLIER_REASONS[result.reasonCode[i] - 1]).toBe(OUTLIER_REASONS[codes[i] - 1]);
    }
    let ruleCount = 0;
    for (const reason of RULE_REASONS) ruleCount += result.outliersByReason[reason] ?? 0;
    expect(ruleCount).toBe(ruleFlags);
    const context = result.resolved.context!;
    expect(context.map!.zones).toBeGreaterThan(150);
    expect(context.levels.zone_map).toBeGreaterThan(0);
    const levels = Object.values(context.levels).reduce((a, b) => a + b, 0);
    expect(levels).toBe(result.resolved.validRides);
  });
});
