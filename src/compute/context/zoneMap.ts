// A map of the zones learned from the trips between them: each zone a point in the plane, placed so
// that the straight-line distance between two zones' points, with a constant c for getting in and
// out of the zones, predicts the usual ln(distance) of the trips between them:
//
//   ln d(i, j) ≈ ½ ln(|x_i − x_j|² + c²)
//
// Why: a long haul (the same trip by a route 2–3 times longer) is told only by its pair's usual
// distance, and at ~330 rides a day most zone pairs are seen a few times in twelve weeks. A pair seen
// twice says little about its own usual distance, and its borough pair says less (Manhattan to
// Queens is 3 km or 25 km). The map, fitted on every pair at once, knows a rare pair's distance from
// the pairs around it (A–C from A–B and B–C): it is the prior a rarely seen pair is shrunk towards.
//
// Fitted by Adam on the weighted squared error in ln units, from a deterministic start (classical
// MDS of the shortest paths over the seen pairs) for a fixed number of iterations, on the pairs
// sorted by key: the same history gives the same map, in whatever order its rows arrive. No zone coordinates are shipped: the map comes from
// the rides alone, so it works on any city whose rides carry zone ids.

/** zone ids are below this (TLC LocationIDs 1–265; pairMoments.hasZone) */
export const MAX_ZONE = 512;
/** a zone needs this many rides (weights) in pairs with other zones to be placed */
export const MIN_ZONE_RIDES = 3;
/** a pair weighs its rides up to this many: a few busy Manhattan pairs must not pin the whole map */
export const PAIR_WEIGHT_CAP = 10;
/** Adam steps: the 2019 months' histories (under 4,000 pairs) change by < 0.1% of the loss over the last 500 */
export const MAP_ITERATIONS = 1500;
/**
 * A history with more pairs than this (a large city's: 84 days of 1M-ride days hold ~34,000 of New
 * York's pairs) is fitted on each zone's MAP_PAIRS_PER_ZONE pairs with the most rides, for
 * THINNED_MAP_ITERATIONS steps. There nearly every ride's pair is well seen and the map judges a
 * few rides in a thousand, so it must cost little: the steps times the pairs. Each zone keeps its
 * best-measured pairs, and from the MDS start a synthetic city of 26,000 pairs is fitted to 0.015
 * ln units of its true distances in 50 steps.
 */
export const MAX_MAP_PAIRS = 4000;
export const MAP_PAIRS_PER_ZONE = 15;
export const THINNED_MAP_ITERATIONS = 300;

export interface ZoneMapInput {
  /** zone ids of each observed pair (p ≠ q, each unordered pair once) */
  p: Int32Array;
  q: Int32Array;
  /** the pair's mean ln(distance km) */
  meanD: Float64Array;
  /** its rides (weighted min(rides, PAIR_WEIGHT_CAP)) */
  rides: Float64Array;
}

export interface ZoneMap {
  /** zones placed */
  zones: number;
  /** pairs fitted */
  pairs: number;
  /** x, y of zone z at 2z, 2z + 1 (0 for a zone not placed) */
  points: Float64Array;
  /** c, km: the distance of a trip between two zones at the same point */
  c: number;
  /** weighted mean squared error of the fit, ln units² */
  loss: number;
  /** whether a zone is on the map */
  placed(zone: number): boolean;
  /** predicted ln(distance km) between two zones; NaN when either is not on the map */
  predict(p: number, q: number): number;
}

/** The map of the pairs' mean distances; null when fewer than 3 zones can be placed. */
export function fitZoneMap(input: ZoneMapInput, iterationsGiven?: number): ZoneMap | null {
  const support = new Float64Array(MAX_ZONE);
  const weightOf = (k: number) => Math.min(input.rides[k], PAIR_WEIGHT_CAP);
  const inRange = (z: number) => z > 0 && z < MAX_ZONE;
  for (let k = 0; k < input.p.length; k++) {
    const p = input.p[k];
    const q = input.q[k];
    if (!inRange(p) || !inRange(q) || p === q || !(input.rides[k] > 0) || !Number.isFinite(input.meanD[k])) continue;
    support[p] += weightOf(k);
    support[q] += weightOf(k);
  }
  let zones = 0;
  for (let z = 0; z < MAX_ZONE; z++) if (support[z] >= MIN_ZONE_RIDES) zones++;
  if (zones < 3) return null;

  // the pairs between placed zones, sorted by (low zone, high zone): the float sums below then
  // do not depend on the order the history's rows came in
  let order: number[] = [];
  for (let k = 0; k < input.p.length; k++) {
    const p = input.p[k];
    const q = input.q[k];
    if (!inRange(p) || !inRange(q) || p === q || !(input.rides[k] > 0) || !Number.isFinite(input.meanD[k])) continue;
    if (support[p] >= MIN_ZONE_RIDES && support[q] >= MIN_ZONE_RIDES) order.push(k);
  }
  const keyOf = (k: number) => Math.min(input.p[k], input.q[k]) * MAX_ZONE + Math.max(input.p[k], input.q[k]);
  order.sort((a, b) => keyOf(a) - keyOf(b) || a - b);
  const thinned = order.length > MAX_MAP_PAIRS;
  if (thinned) order = busiestPairsPerZone(order, input, keyOf);
  const m = order.length;
  const iterations = iterationsGiven ?? (thinned ? THINNED_MAP_ITERATIONS : MAP_ITERATIONS);
  const P = new Int32Array(m);
  const Q = new Int32Array(m);
  const target = new Float64Array(m);
  const w = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const k = order[j];
    P[j] = input.p[k];
    Q[j] = input.q[k];
    target[j] = input.meanD[k];
    w[j] = weightOf(k);
  }

  const x = mdsStart(support, P, Q, target);
  let lnC = 0;
  const g = new Float64Array(MAX_ZONE * 2);
  const mom1 = new Float64Array(MAX_ZONE * 2);
  const mom2 = new Float64Array(MAX_ZONE * 2);
  let mc1 = 0;
  let mc2 = 0;
  const b1 = 0.9;
  const b2 = 0.999;
  for (let it = 1; it <= iterations; it++) {
    g.fill(0);
    let gc = 0;
    const c2 = Math.exp(2 * lnC);
    for (let j = 0; j < m; j++) {
      const p = P[j];
      const q = Q[j];
      const dx = x[2 * p] - x[2 * q];
      const dy = x[2 * p + 1] - x[2 * q + 1];
      const s = dx * dx + dy * dy + c2;
      // d/dx of w (½ ln s − target)² / 2 is w (pred − target) · dx / s
      const e = (w[j] * (0.5 * Math.log(s) - target[j])) / s;
      g[2 * p] += e * dx;
      g[2 * p + 1] += e * dy;
      g[2 * q] -= e * dx;
      g[2 * q + 1] -= e * dy;
      gc += e * c2;
    }
    // a large step to find the shape, a fifth of it to settle
    const rate = it < iterations / 2 ? 0.5 : 0.1;
    const bias1 = 1 - b1 ** it;
    const bias2 = 1 - b2 ** it;
    for (let i = 0; i < x.length; i++) {
      if (g[i] === 0) continue;
      mom1[i] = b1 * mom1[i] + (1 - b1) * g[i];
      mom2[i] = b2 * mom2[i] + (1 - b2) * g[i] * g[i];
      x[i] -= (rate * (mom1[i] / bias1)) / (Math.sqrt(mom2[i] / bias2) + 1e-9);
    }
    mc1 = b1 * mc1 + (1 - b1) * gc;
    mc2 = b2 * mc2 + (1 - b2) * gc * gc;
    lnC -= (0.02 * (mc1 / bias1)) / (Math.sqrt(mc2 / bias2) + 1e-9);
  }

  const c2 = Math.exp(2 * lnC);
  const placed = (z: number) => inRange(z) && support[z] >= MIN_ZONE_RIDES;
  const predict = (p: number, q: number): number => {
    if (!placed(p) || !placed(q)) return NaN;
    const dx = x[2 * p] - x[2 * q];
    const dy = x[2 * p + 1] - x[2 * q + 1];
    return 0.5 * Math.log(dx * dx + dy * dy + c2);
  };
  let sq = 0;
  let sw = 0;
  for (let j = 0; j < m; j++) {
    sq += w[j] * (predict(P[j], Q[j]) - target[j]) ** 2;
    sw += w[j];
  }
  return { zones, pairs: m, points: x, c: Math.sqrt(c2), loss: sw > 0 ? sq / sw : 0, placed, predict };
}

/**
 * The start: classical multidimensional scaling of the shortest-path distances between the zones
 * over the observed pairs (Isomap's recipe). A fit from an arbitrary start can settle with a zone
 * mirrored across its neighbours (a local minimum: on a synthetic city of 30 zones with 40% of
 * pairs seen, a sunflower spiral by zone id as the start left the unseen pairs 0.25 ln units off
 * in root mean square, this start 0.02); paths
 * through seen pairs put every zone on the right side of its neighbours first. Deterministic: the
 * two leading eigenvectors by power iteration from a fixed vector, a fixed number of steps.
 */
function mdsStart(support: Float64Array, P: Int32Array, Q: Int32Array, target: Float64Array): Float64Array {
  const zones: number[] = [];
  const index = new Int32Array(MAX_ZONE).fill(-1);
  for (let z = 0; z < MAX_ZONE; z++) if (support[z] >= MIN_ZONE_RIDES) index[z] = zones.push(z) - 1;
  const n = zones.length;
  const d = new Float64Array(n * n).fill(Infinity);
  for (let i = 0; i < n; i++) d[i * n + i] = 0;
  for (let j = 0; j < P.length; j++) {
    const a = index[P[j]];
    const b = index[Q[j]];
    const km = Math.exp(target[j]);
    if (km < d[a * n + b]) d[a * n + b] = d[b * n + a] = km;
  }
  // Floyd–Warshall: n ≤ 511, 265 in New York (19M steps)
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const dik = d[i * n + k];
      if (dik === Infinity) continue;
      for (let j = 0; j < n; j++) {
        const via = dik + d[k * n + j];
        if (via < d[i * n + j]) d[i * n + j] = via;
      }
    }
  }
  // zones no path joins: as far apart as the farthest joined ones
  let far = 0;
  for (let i = 0; i < n * n; i++) if (d[i] !== Infinity && d[i] > far) far = d[i];
  for (let i = 0; i < n * n; i++) if (d[i] === Infinity) d[i] = far;
  // B = −½ J D² J
  const b = new Float64Array(n * n);
  const rowMean = new Float64Array(n);
  let allMean = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rowMean[i] += (d[i * n + j] * d[i * n + j]) / n;
    allMean += rowMean[i] / n;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = -0.5 * (d[i * n + j] * d[i * n + j] - rowMean[i] - rowMean[j] + allMean);
  const x = new Float64Array(MAX_ZONE * 2);
  const found: Float64Array[] = [];
  for (let axis = 0; axis < 2; axis++) {
    let v = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 101) / 101);
    let lambda = 0;
    for (let step = 0; step < 100; step++) {
      for (const u of found) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += u[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * u[i];
      }
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += b[i * n + j] * v[j];
        next[i] = sum;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += next[i] * next[i];
      norm = Math.sqrt(norm);
      if (!(norm > 0)) break;
      lambda = norm;
      for (let i = 0; i < n; i++) next[i] /= norm;
      v = next;
    }
    found.push(v);
    const scale = Math.sqrt(Math.max(lambda, 0));
    for (let i = 0; i < n; i++) x[2 * zones[i] + axis] = v[i] * scale;
  }
  return x;
}

/** Of the pairs (key order), each zone's MAP_PAIRS_PER_ZONE with the most rides (ties: the lower key), in key order. */
function busiestPairsPerZone(order: number[], input: ZoneMapInput, keyOf: (k: number) => number): number[] {
  const byZone = new Map<number, number[]>();
  for (const k of order) {
    for (const z of [input.p[k], input.q[k]]) {
      let list = byZone.get(z);
      if (!list) byZone.set(z, (list = []));
      list.push(k);
    }
  }
  const keep = new Set<number>();
  for (const list of byZone.values()) {
    list.sort((a, b) => input.rides[b] - input.rides[a] || keyOf(a) - keyOf(b));
    for (let i = 0; i < Math.min(MAP_PAIRS_PER_ZONE, list.length); i++) keep.add(list[i]);
  }
  return order.filter((k) => keep.has(k));
}
