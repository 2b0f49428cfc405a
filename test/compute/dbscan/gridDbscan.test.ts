import { describe, expect, it } from 'vitest';
// density-clustering ships no type declarations (and this change may not add a .d.ts): type it by hand below.
// @ts-ignore TS7016 untyped CommonJS module
import clusteringUntyped from 'density-clustering';
import { gridDbscan, type DbscanResult } from '../../../src/compute/dbscan/gridDbscan.js';
import { nearestCoreDistances } from '../../../src/compute/dbscan/nearestCore.js';

interface OracleDbscan {
  run(dataset: number[][], epsilon: number, minPts: number, distance?: (p: number[], q: number[]) => number): number[][];
  noise: number[];
}
const clustering = clusteringUntyped as { DBSCAN: new () => OracleDbscan };

// ---- data -------------------------------------------------------------------------------------------------

/** mulberry32: small seeded PRNG, uniform in [0, 1) */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalFrom(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

interface Points {
  xs: Float64Array;
  ys: Float64Array;
}

function fromPairs(pairs: Array<[number, number]>): Points {
  return { xs: Float64Array.from(pairs, (p) => p[0]), ys: Float64Array.from(pairs, (p) => p[1]) };
}

/** subtract the mean and divide by the population sd, per column (as StandardScaler) */
function standardise(p: Points): Points {
  const scale = (a: Float64Array) => {
    let mean = 0;
    for (const v of a) mean += v;
    mean /= a.length;
    let variance = 0;
    for (const v of a) variance += (v - mean) ** 2;
    const sd = Math.sqrt(variance / a.length);
    return a.map((v) => (v - mean) / sd);
  };
  return { xs: scale(p.xs), ys: scale(p.ys) };
}

/** gaussian blobs of different sizes/spreads plus uniform background noise, shuffled, standardised */
function blobs(seed: number, n: number, blobCount: number, noiseFraction: number): Points {
  const rnd = prng(seed);
  const normal = normalFrom(rnd);
  const centres = Array.from({ length: blobCount }, () => [rnd() * 20 - 10, rnd() * 20 - 10, 0.3 + rnd() * 1.5]);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    if (rnd() < noiseFraction) {
      pairs.push([rnd() * 30 - 15, rnd() * 30 - 15]);
    } else {
      const [cx, cy, sd] = centres[Math.floor(rnd() * blobCount)];
      pairs.push([cx + sd * normal(), cy + sd * normal()]);
    }
  }
  return standardise(fromPairs(pairs));
}

/** taxi-ride shaped: distance U(0,10) km, duration = distance / N(30,5) km/h, plus a few anomalies */
function rides(seed: number, n: number): Points {
  const rnd = prng(seed);
  const normal = normalFrom(rnd);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    let d = 10 * rnd();
    let speed = 30 + 5 * normal();
    if (r < 0.01) d = 30 * rnd();
    else if (r < 0.02) speed = 50 + 10 * normal();
    else if (r < 0.03) speed = 15 + 4 * normal();
    speed = Math.max(speed, 1);
    pairs.push([d, d / speed]);
  }
  return standardise(fromPairs(pairs));
}

/** square lattice of spacing `step` (exactly representable), keeping each site with probability keep */
function lattice(seed: number, side: number, step: number, keep: number): Points {
  const rnd = prng(seed);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) if (rnd() < keep) pairs.push([i * step, j * step]);
  // shuffle so that point order is unrelated to position
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  return fromPairs(pairs);
}

// ---- independent brute-force references ----------------------------------------------------------------------

/** the same float formula the contract specifies: within eps iff dx*dx + dy*dy <= eps*eps */
function d2(p: Points, i: number, j: number): number {
  const dx = p.xs[i] - p.xs[j];
  const dy = p.ys[i] - p.ys[j];
  return dx * dx + dy * dy;
}

function bruteCore(p: Points, eps: number, minSamples: number): Uint8Array {
  const n = p.xs.length;
  const eps2 = eps * eps;
  const count = new Int32Array(n).fill(1); // the point itself
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (d2(p, i, j) <= eps2) (count[i]++, count[j]++);
  return Uint8Array.from(count, (c) => (c >= minSamples ? 1 : 0));
}

/** for each non-core point: its nearest core point within eps (ties: smallest index), else -1; -1 for core points */
function bruteNearestCoreNeighbour(p: Points, eps: number, core: Uint8Array): Int32Array {
  const n = p.xs.length;
  const eps2 = eps * eps;
  const nearest = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (core[i]) continue;
    let best = Infinity;
    for (let j = 0; j < n; j++) {
      if (!core[j]) continue;
      const d = d2(p, i, j);
      if (d <= eps2 && d < best) {
        best = d;
        nearest[i] = j;
      }
    }
  }
  return nearest;
}

/** full reference DBSCAN with the documented border rule and numbering, O(n^2) */
function bruteDbscan(p: Points, eps: number, minSamples: number): { labels: Int32Array; core: Uint8Array } {
  const n = p.xs.length;
  const eps2 = eps * eps;
  const core = bruteCore(p, eps, minSamples);
  const comp = new Int32Array(n).fill(-1);
  let components = 0;
  for (let s = 0; s < n; s++) {
    if (!core[s] || comp[s] >= 0) continue;
    const stack = [s];
    comp[s] = components;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < n; j++) {
        if (core[j] && comp[j] < 0 && d2(p, i, j) <= eps2) {
          comp[j] = components;
          stack.push(j);
        }
      }
    }
    components++;
  }
  const nearest = bruteNearestCoreNeighbour(p, eps, core);
  const raw = Int32Array.from({ length: n }, (_, i) => (core[i] ? comp[i] : nearest[i] >= 0 ? comp[nearest[i]] : -1));
  const renumber = new Map<number, number>();
  const labels = raw.map((c) => {
    if (c < 0) return -1;
    if (!renumber.has(c)) renumber.set(c, renumber.size);
    return renumber.get(c)!;
  });
  return { labels, core };
}

function bruteNearestKeptCore(p: Points, result: DbscanResult, keep: Uint8Array): Float64Array {
  const n = p.xs.length;
  const out = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!result.isCore[j] || keep[result.labels[j]] !== 1) continue;
      const d = Math.sqrt(d2(p, i, j));
      if (d < out[i]) out[i] = d;
    }
  }
  return out;
}

// ---- density-clustering oracle -------------------------------------------------------------------------------

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** smallest float64 greater than a positive finite x */
function nextUp(x: number): number {
  f64[0] = x;
  u64[0] += 1n;
  return f64[0];
}

/**
 * density-clustering (lib/DBSCAN.js): _regionQuery scans ALL points, the point itself included (distance 0), and
 * keeps those with `distance < epsilon` (strict); a point is core when that list has >= minPts entries. So minPts
 * already counts the point itself like sklearn's min_samples (no -1 needed), but the comparison is strict.
 * We therefore hand it the squared distance (the same float formula as ours) and epsilon = nextUp(eps*eps):
 * d2 < nextUp(eps2) <=> d2 <= eps2 exactly.
 * Also: a point first marked noise and later reached by a cluster stays in `.noise` as well, so the oracle's noise
 * set is the complement of its clusters, not its `.noise` list.
 */
function oracle(p: Points, eps: number, minSamples: number): { clusters: number[][]; noise: Set<number> } {
  const data = Array.from(p.xs, (x, i) => [x, p.ys[i]]);
  const sq = (a: number[], b: number[]) => {
    const dx = a[0] - b[0];
    const dy = a[1] - b[1];
    return dx * dx + dy * dy;
  };
  const clusters = new clustering.DBSCAN().run(data, nextUp(eps * eps), minSamples, sq);
  const inCluster = new Set(clusters.flat());
  const noise = new Set<number>();
  for (let i = 0; i < data.length; i++) if (!inCluster.has(i)) noise.add(i);
  return { clusters, noise };
}

interface Stats {
  clusters: number;
  core: number;
  border: number;
  noise: number;
  contestedBorder: number;
}

/** all the checks; returns some counts so callers can assert the case was not trivial */
function checkAgainstOracles(p: Points, eps: number, minSamples: number, useDensityClustering = true): Stats {
  const n = p.xs.length;
  const result = gridDbscan(p.xs, p.ys, eps, minSamples);
  expect(result.labels.length).toBe(n);
  expect(result.isCore.length).toBe(n);

  // isCore exactly, against brute force
  const core = bruteCore(p, eps, minSamples);
  expect(Array.from(result.isCore)).toEqual(Array.from(core));

  // labels exactly, against the brute-force reference (documented border rule and numbering)
  const ref = bruteDbscan(p, eps, minSamples);
  expect(Array.from(result.labels)).toEqual(Array.from(ref.labels));

  // numbering: ids 0..k-1 in order of first occurrence
  let next = 0;
  for (const l of result.labels) {
    expect(l).toBeGreaterThanOrEqual(-1);
    expect(l).toBeLessThanOrEqual(next);
    if (l === next) next++;
  }
  expect(result.clusterCount).toBe(next);

  // border points: nearest core point's cluster
  const nearest = bruteNearestCoreNeighbour(p, eps, core);
  let border = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    if (core[i]) continue;
    if (nearest[i] >= 0) {
      border++;
      expect(result.labels[i]).toBe(result.labels[nearest[i]]);
    } else {
      noise++;
      expect(result.labels[i]).toBe(-1);
    }
  }

  // border points that could legitimately go to more than one cluster
  const eps2 = eps * eps;
  let contestedBorder = 0;
  for (let i = 0; i < n; i++) {
    if (core[i] || nearest[i] < 0) continue;
    const reachable = new Set<number>();
    for (let j = 0; j < n; j++) if (core[j] && d2(p, i, j) <= eps2) reachable.add(result.labels[j]);
    if (reachable.size > 1) contestedBorder++;
  }

  if (useDensityClustering) {
    const o = oracle(p, eps, minSamples);
    // (1) noise set exactly
    const ours = new Set<number>();
    result.labels.forEach((l, i) => l < 0 && ours.add(i));
    expect([...ours].sort((a, b) => a - b)).toEqual([...o.noise].sort((a, b) => a - b));
    // (2) core membership equal up to relabelling (a bijection between cluster ids)
    expect(o.clusters.length).toBe(result.clusterCount);
    const oracleLabel = new Int32Array(n).fill(-1);
    o.clusters.forEach((members, c) => members.forEach((i) => (oracleLabel[i] = c)));
    const toOurs = new Map<number, number>();
    const toOracle = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (!core[i]) continue;
      const a = oracleLabel[i];
      const b = result.labels[i];
      if (!toOurs.has(a)) toOurs.set(a, b);
      if (!toOracle.has(b)) toOracle.set(b, a);
      expect(toOurs.get(a)).toBe(b);
      expect(toOracle.get(b)).toBe(a);
    }
    // (3) the oracle (first come) must have put each border point in the cluster of one of its core neighbours;
    // ours is the nearest core neighbour's (checked above). When only one cluster is reachable, both must agree.
    for (let i = 0; i < n; i++) {
      if (core[i] || nearest[i] < 0) continue;
      const reachable = new Set<number>();
      for (let j = 0; j < n; j++) if (core[j] && d2(p, i, j) <= eps2) reachable.add(oracleLabel[j]);
      expect(reachable.has(oracleLabel[i])).toBe(true);
      if (reachable.size === 1) expect(toOurs.get(oracleLabel[i])).toBe(result.labels[i]);
    }
  }
  return { clusters: result.clusterCount, core: core.reduce((a, b) => a + b, 0), border, noise, contestedBorder };
}

// ---- tests ---------------------------------------------------------------------------------------------------

describe('gridDbscan against density-clustering and brute force', () => {
  it('the oracle as called agrees with sklearn semantics on a lattice at exactly eps (raw call would not)', () => {
    // spacing 0.5 = eps: neighbours at distance exactly eps; with minSamples 5 every interior site is core
    const p = lattice(1, 8, 0.5, 1);
    const raw = new clustering.DBSCAN().run(
      Array.from(p.xs, (x, i) => [x, p.ys[i]]),
      0.5,
      5,
    );
    expect(raw.length).toBe(0); // strict `<`: nothing is within 0.5, everything is noise
    const stats = checkAgainstOracles(p, 0.5, 5);
    expect(stats.core).toBe(36); // 6x6 interior
    expect(stats.clusters).toBe(1);
    expect(stats.border).toBe(24); // edge sites (corners have no core neighbour)
    expect(stats.noise).toBe(4);
  });

  const blobCases: Array<[seed: number, n: number, eps: number, minSamples: number]> = [
    [1, 3000, 0.3, 10],
    [2, 2000, 0.1, 5],
    [3, 1500, 0.25, 20],
    [4, 1200, 0.05, 3],
    [5, 2500, 0.15, 1],
    [6, 800, 0.6, 40],
  ];
  it.each(blobCases)('gaussian blobs + uniform noise: seed %i, n %i, eps %f, minSamples %i', (seed, n, eps, minSamples) => {
    const p = blobs(seed, n, 2 + (seed % 4), 0.1);
    const stats = checkAgainstOracles(p, eps, minSamples);
    expect(stats.core).toBeGreaterThan(0);
    if (minSamples > 1) expect(stats.noise + stats.border).toBeGreaterThan(0);
  });

  it('the random cases are not trivial: several clusters, borders, noise and contested borders occur', () => {
    const totals = { clusters: 0, border: 0, noise: 0, contestedBorder: 0, multiCluster: 0 };
    for (const [seed, n, eps, minSamples] of [
      [11, 1500, 0.12, 8],
      [12, 1500, 0.2, 15],
      [13, 1000, 0.08, 4],
    ]) {
      const s = checkAgainstOracles(blobs(seed, n, 4, 0.2), eps, minSamples);
      totals.clusters += s.clusters;
      totals.border += s.border;
      totals.noise += s.noise;
      totals.contestedBorder += s.contestedBorder;
      if (s.clusters > 1) totals.multiCluster++;
    }
    expect(totals.multiCluster).toBeGreaterThan(0);
    expect(totals.border).toBeGreaterThan(0);
    expect(totals.noise).toBeGreaterThan(0);
  });

  it('lattice with holes: exact-eps distances and equidistant core points of different clusters (ties)', () => {
    let contested = 0;
    for (const seed of [21, 22, 23, 24]) {
      const p = lattice(seed, 30, 0.5, 0.62);
      const s = checkAgainstOracles(p, 0.5, 4);
      contested += s.contestedBorder;
      expect(s.clusters).toBeGreaterThan(1);
    }
    // ties between clusters at exactly the same distance happen: the smallest-index rule is exercised
    expect(contested).toBeGreaterThan(0);
  });

  it('lattice spacing 0.5 with eps 1.0: diagonals (√2·0.5) and two steps (exactly eps) count', () => {
    const p = lattice(31, 25, 0.5, 0.5);
    const s = checkAgainstOracles(p, 1.0, 6);
    expect(s.core).toBeGreaterThan(0);
  });

  it('pairs within eps whose grid cells are two apart diagonally (cells of side eps/√2·(1-1e-12))', () => {
    // A sits just inside the far corner of its cell, B just inside the cell two steps away diagonally: the
    // cells' minimum distance is √2·side = eps·(1-1e-12), so only the 5x5 block's corner cells catch this pair
    const eps = 1;
    const side = eps * Math.SQRT1_2 * (1 - 1e-12);
    const a = side * (1 - 1e-13);
    const b = 2 * side * (1 + 1e-15);
    expect(2 * (b - a) * (b - a)).toBeLessThanOrEqual(eps * eps); // the pair is within eps
    const p = fromPairs([
      [0, 0],
      [a, a],
      [b, b],
      [0, 3],
      [a, 3 + b],
      [b, 3 + a],
      [5, 0],
      [5 + a, b],
      [5 + b, a],
    ]);
    // minSamples 2: the three diagonal pairs are three clusters (the first one with the origin attached)
    expect(checkAgainstOracles(p, eps, 2)).toMatchObject({ clusters: 3, core: 7 });
    // minSamples 3: only (a, a) has three neighbours (the origin, itself and (b, b))
    expect(checkAgainstOracles(p, eps, 3)).toMatchObject({ clusters: 1, core: 1, border: 2 });
  });

  it('duplicates and ties: points snapped to a coarse grid, many identical', () => {
    const rnd = prng(41);
    const normal = normalFrom(rnd);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const c = i % 3;
      pairs.push([Math.round((c * 2 + 0.6 * normal()) * 4) / 4, Math.round((c - 0.6 * normal()) * 4) / 4]);
    }
    const p = fromPairs(pairs);
    for (const [eps, ms] of [
      [0.25, 12],
      [0.3, 30],
      [0.5, 100],
    ]) {
      const s = checkAgainstOracles(p, eps, ms);
      expect(s.core).toBeGreaterThan(0);
    }
  });

  it('taxi-ride shaped data, eps 0.3 and minSamples 10 on standardised values', () => {
    const s = checkAgainstOracles(rides(51, 3000), 0.3, 10);
    expect(s.core).toBeGreaterThan(2000);
    expect(s.noise).toBeGreaterThan(0);
  });

  it('far outliers (100 sd away, and 1e6 / 1e12 away) neither overflow the grid key nor change the result', () => {
    const base = blobs(61, 1500, 3, 0.05);
    const rnd = prng(62);
    const xs = Array.from(base.xs);
    const ys = Array.from(base.ys);
    for (let k = 0; k < 20; k++) {
      const angle = 2 * Math.PI * rnd();
      xs.push(100 * Math.cos(angle));
      ys.push(100 * Math.sin(angle));
    }
    // a tight far group that forms its own cluster at 100 sd
    for (let k = 0; k < 12; k++) {
      xs.push(100 + 0.01 * k);
      ys.push(-100);
    }
    const p100 = { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
    const s100 = checkAgainstOracles(p100, 0.3, 10);
    const res100 = gridDbscan(p100.xs, p100.ys, 0.3, 10);
    expect(res100.labels[p100.xs.length - 1]).toBe(s100.clusters - 1); // the far group is its own, last, cluster

    // extreme ranges take the gap-compression path of the grid key
    xs.push(1e6, 1e6 + 0.1, -1e12, -1e12, 5e11);
    ys.push(-1e6, -1e6, 1e12, 1e12 + 0.2, -7e11);
    const pFar = { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
    checkAgainstOracles(pFar, 0.3, 10);
    checkAgainstOracles(pFar, 0.3, 2);
    // the clustering of the original points is unchanged by the far ones
    const resFar = gridDbscan(pFar.xs, pFar.ys, 0.3, 10);
    expect(Array.from(resFar.labels.subarray(0, p100.xs.length))).toEqual(Array.from(res100.labels));
  });

  it('n = 0 and n = 1', () => {
    const empty = gridDbscan(new Float64Array(0), new Float64Array(0), 0.3, 10);
    expect(empty.labels.length).toBe(0);
    expect(empty.isCore.length).toBe(0);
    expect(empty.clusterCount).toBe(0);
    expect(nearestCoreDistances(new Float64Array(0), new Float64Array(0), empty, new Uint8Array(0)).length).toBe(0);

    const one = fromPairs([[3, -2]]);
    const alone = checkAgainstOracles(one, 0.3, 1);
    expect(alone).toMatchObject({ clusters: 1, core: 1 });
    const lonely = checkAgainstOracles(one, 0.3, 2);
    expect(lonely).toMatchObject({ clusters: 0, core: 0, noise: 1 });
  });

  it('all points identical; minSamples above and at n', () => {
    const p = fromPairs(Array.from({ length: 300 }, () => [1.5, -0.25] as [number, number]));
    expect(checkAgainstOracles(p, 0.3, 10)).toMatchObject({ clusters: 1, core: 300 });
    expect(checkAgainstOracles(p, 0.3, 300)).toMatchObject({ clusters: 1, core: 300 });
    expect(checkAgainstOracles(p, 0.3, 301)).toMatchObject({ clusters: 0, core: 0, noise: 300 });
  });

  it('minSamples = 1 (every point core, clusters = components), huge eps, tiny eps', () => {
    const p = blobs(71, 1200, 3, 0.2);
    expect(checkAgainstOracles(p, 0.2, 1).core).toBe(1200);
    expect(checkAgainstOracles(p, 1e6, 5)).toMatchObject({ clusters: 1, core: 1200 });
    expect(checkAgainstOracles(p, 1e-9, 2)).toMatchObject({ clusters: 0, noise: 1200 });
  });

  it('larger sets against the brute-force reference only (the oracle would take minutes)', () => {
    const s = checkAgainstOracles(rides(81, 8000), 0.3, 10, false);
    expect(s.core).toBeGreaterThan(5000);
    const t = checkAgainstOracles(blobs(82, 8000, 5, 0.15), 0.05, 12, false);
    expect(t.clusters).toBeGreaterThan(1);
  });

  it('rejects invalid input', () => {
    const a = new Float64Array([0, 1]);
    expect(() => gridDbscan(a, new Float64Array(3), 0.3, 2)).toThrow(RangeError);
    expect(() => gridDbscan(a, a, 0, 2)).toThrow(RangeError);
    expect(() => gridDbscan(a, a, NaN, 2)).toThrow(RangeError);
    expect(() => gridDbscan(a, a, 0.3, 0)).toThrow(RangeError);
    expect(() => gridDbscan(a, a, 0.3, 1.5)).toThrow(RangeError);
    expect(() => gridDbscan(new Float64Array([0, NaN]), a, 0.3, 2)).toThrow(RangeError);
    expect(() => gridDbscan(new Float64Array([0, Infinity]), a, 0.3, 2)).toThrow(RangeError);
    // beyond 2^48 cells per axis the cell coordinates would lose precision: refused rather than guessed
    expect(() => gridDbscan(new Float64Array([0, 1e15]), a, 0.3, 2)).toThrow(RangeError);
  });
});

describe('nearestCoreDistances against brute force', () => {
  function check(p: Points, eps: number, minSamples: number, pickKeep: (sizes: number[], c: number) => boolean) {
    const result = gridDbscan(p.xs, p.ys, eps, minSamples);
    const sizes = new Array<number>(result.clusterCount).fill(0);
    for (const l of result.labels) if (l >= 0) sizes[l]++;
    const keep = Uint8Array.from(sizes, (_, c) => (pickKeep(sizes, c) ? 1 : 0));
    const got = nearestCoreDistances(p.xs, p.ys, result, keep);
    const want = bruteNearestKeptCore(p, result, keep);
    expect(Array.from(got)).toEqual(Array.from(want)); // exact
    return { got, keep, result };
  }

  it('some clusters kept, some not, plus far points 30-100 eps away', () => {
    for (const seed of [91, 92, 93]) {
      const base = blobs(seed, 2500, 5, 0.1);
      const rnd = prng(seed + 1000);
      const xs = Array.from(base.xs);
      const ys = Array.from(base.ys);
      for (let k = 0; k < 60; k++) {
        const r = (30 + 70 * rnd()) * 0.1;
        const angle = 2 * Math.PI * rnd();
        xs.push(r * Math.cos(angle));
        ys.push(r * Math.sin(angle));
      }
      const p = { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
      const { got, keep, result } = check(p, 0.1, 8, (_, c) => c % 2 === 0);
      expect(keep.includes(1) && keep.includes(0)).toBe(true);
      // non-trivial: zeros exactly for kept core points, positive elsewhere
      for (let i = 0; i < got.length; i++) {
        const keptCore = result.isCore[i] === 1 && keep[result.labels[i]] === 1;
        expect(got[i] === 0).toBe(keptCore);
      }
      expect(Math.max(...got)).toBeGreaterThan(1);
    }
  });

  it('keeps the big clusters of taxi-shaped data (caller rule: < 5% of points not kept)', () => {
    const p = rides(101, 4000);
    const n = p.xs.length;
    const { keep } = check(p, 0.3, 10, (sizes, c) => sizes[c] >= 0.05 * n);
    expect(keep.includes(1)).toBe(true);
    check(p, 0.1, 10, (sizes, c) => sizes[c] >= 0.05 * n);
  });

  it('lattice: exact distances and ties', () => {
    check(lattice(111, 30, 0.5, 0.6), 0.5, 4, (_, c) => c % 3 === 1);
  });

  it('all clusters kept', () => {
    check(blobs(121, 2000, 3, 0.2), 0.2, 6, () => true);
  });

  it('no cluster kept: all Infinity', () => {
    const p = blobs(131, 1500, 3, 0.1);
    const { got, result } = check(p, 0.2, 6, () => false);
    expect(result.clusterCount).toBeGreaterThan(0);
    expect(got.every((d) => d === Infinity)).toBe(true);
    // and when there are no clusters at all
    const none = gridDbscan(p.xs, p.ys, 1e-9, 2);
    expect(none.clusterCount).toBe(0);
    expect(nearestCoreDistances(p.xs, p.ys, none, new Uint8Array(0)).every((d) => d === Infinity)).toBe(true);
  });

  it('refuses points that are not the clustered ones', () => {
    const p = blobs(141, 200, 2, 0.1);
    const result = gridDbscan(p.xs, p.ys, 0.3, 5);
    const keep = new Uint8Array(result.clusterCount).fill(1);
    expect(() => nearestCoreDistances(p.xs.subarray(1), p.ys.subarray(1), result, keep)).toThrow(RangeError);
    expect(() => nearestCoreDistances(p.ys, p.xs, result, keep)).toThrow(RangeError);
    expect(() => nearestCoreDistances(p.xs, p.ys, { ...result, grid: {} }, keep)).toThrow(TypeError);
  });
});
