// DBSCAN as a detector: eps and min_samples given or chosen from the day, the small-cluster rule, and a
// score per ride. Works on the standardised features of the rides that passed the rules.
//
// eps 'auto' is the DBSCAN paper's k-distance heuristic made scale-free: with k = min_samples, eps is
// `epsScale` times the median distance from a ride to its k-th nearest neighbour. A ride is then a core
// ride when the density around it is at least 1/epsScale² of the density around the median ride: a
// density threshold relative to the day itself, which does not drift as the day grows (a fixed eps does:
// more rides make every group of anomalies dense enough to be a cluster of its own).
//
// Days larger than `sampleSize` valid rides are clustered on a sample of that size (drawn by a hash of
// each ride's values, so the same rides give the same sample in any order); every ride, in the sample or
// not, is then normal exactly when it lies within eps of a core ride of a kept cluster, and takes the
// cluster of its nearest core ride, as DBSCAN's border rides do. On the sample this is DBSCAN's own
// labelling; for the others it is DBSCAN's rule applied to the sample's core rides.
import { gridDbscan, nearestCoreDistances, type DbscanResult } from './gridDbscan.js';
import { hashSample } from '../prepare/rideSample.js';
import { kthNeighbourDistances, NearestPoints } from './nearestPoints.js';

export interface DbscanDetectorParams {
  eps: number | 'auto';
  minSamples: number | 'auto';
  minClusterShare: number;
  /** eps 'auto' = epsScale × the median k-distance (k = min_samples) */
  epsScale: number;
  /** at most this many rides are clustered; larger days are clustered on a hash sample (Infinity = all) */
  sampleSize: number;
}

/** min_samples 'auto': this share of the rides clustered, and at least MIN_SAMPLES_FLOOR (the book's 10) */
export const AUTO_MIN_SAMPLES_SHARE = 1 / 400;
export const MIN_SAMPLES_FLOOR = 10;
/** how many rides (at most) the median k-distance is measured on */
const EPS_QUERIES = 4096;

export interface ResolvedDbscan {
  eps: number;
  minSamples: number;
  minClusterShare: number;
  epsScale: number | null;
  /** the median k-distance eps 'auto' was derived from (null for a given eps) */
  kDistanceMedian: number | null;
  /** rides clustered: all valid rides, or the sample */
  clusteredRides: number;
  sampled: boolean;
}

export interface DbscanOutcome {
  /** cluster id per ride (-1 noise) */
  labels: Int32Array;
  /** 0 normal, 1 noise, 2 member of a small cluster */
  verdict: Uint8Array;
  /** see detectOutliers: distance to the nearest core ride of a kept cluster, in eps (unrounded) */
  distance: Float64Array;
  clusterCount: number;
  sizes: number[];
  keep: Uint8Array;
  resolved: ResolvedDbscan;
  clusterSeconds: number;
  scoreSeconds: number;
}

export const VERDICT_NOISE = 1;
export const VERDICT_SMALL_CLUSTER = 2;

export function autoMinSamples(clusteredRides: number): number {
  return Math.max(MIN_SAMPLES_FLOOR, Math.round(clusteredRides * AUTO_MIN_SAMPLES_SHARE));
}

export function runDbscanDetector(
  xs: Float64Array,
  ys: Float64Array,
  hashes: Uint32Array | null,
  params: DbscanDetectorParams,
): DbscanOutcome {
  let t = performance.now();
  const m = xs.length;
  const sampled = m > params.sampleSize;
  if (sampled && !hashes) throw new Error('runDbscanDetector: sampling needs the ride hashes');
  const sample = sampled ? hashSample(hashes!, params.sampleSize) : null;
  const cx = sample ? gather(xs, sample) : xs;
  const cy = sample ? gather(ys, sample) : ys;
  const mc = cx.length;
  const minSamples = params.minSamples === 'auto' ? autoMinSamples(mc) : params.minSamples;
  let eps: number;
  let kDistanceMedian: number | null = null;
  if (params.eps === 'auto') {
    // measured from the EPS_QUERIES rides with the smallest hashes: the start of the sample (ordered by hash)
    const queries = sample ? null : mc > EPS_QUERIES && hashes ? hashSample(hashes, EPS_QUERIES) : null;
    const qx = sample ? cx.subarray(0, EPS_QUERIES) : queries ? gather(cx, queries) : cx;
    const qy = sample ? cy.subarray(0, EPS_QUERIES) : queries ? gather(cy, queries) : cy;
    kDistanceMedian = medianKDistance(cx, cy, qx, qy, minSamples);
    eps = roundSignificant(params.epsScale * kDistanceMedian, 4);
    // a day of identical rides (or fewer rides than min_samples) has no usable k-distance
    if (!(eps >= 1e-3 && Number.isFinite(eps))) eps = Number.isFinite(eps) ? 1e-3 : 0.3;
  } else {
    eps = params.eps;
  }
  const dbscan = gridDbscan(cx, cy, eps, minSamples);
  const resolved: ResolvedDbscan = {
    eps,
    minSamples,
    minClusterShare: params.minClusterShare,
    epsScale: params.eps === 'auto' ? params.epsScale : null,
    kDistanceMedian,
    clusteredRides: mc,
    sampled,
  };
  if (!sample) {
    const sizes = new Array<number>(dbscan.clusterCount).fill(0);
    for (let k = 0; k < m; k++) if (dbscan.labels[k] >= 0) sizes[dbscan.labels[k]]++;
    const keep = keepClusters(sizes, params.minClusterShare * m);
    const clusterSeconds = since(t);
    t = performance.now();
    const distance = dbscan.clusterCount > 0 ? nearestCoreDistances(xs, ys, dbscan, keep) : new Float64Array(m).fill(Infinity);
    const verdict = new Uint8Array(m);
    for (let k = 0; k < m; k++) {
      const label = dbscan.labels[k];
      if (label < 0) verdict[k] = VERDICT_NOISE;
      else if (keep[label] === 0) verdict[k] = VERDICT_SMALL_CLUSTER;
      distance[k] /= eps;
    }
    return { labels: dbscan.labels, verdict, distance, clusterCount: dbscan.clusterCount, sizes, keep, resolved, clusterSeconds, scoreSeconds: since(t) };
  }
  const labels = assignToCores(xs, ys, cx, cy, sample, dbscan, eps);
  const sizes = new Array<number>(dbscan.clusterCount).fill(0);
  for (let i = 0; i < m; i++) if (labels[i] >= 0) sizes[labels[i]]++;
  const keep = keepClusters(sizes, params.minClusterShare * m);
  const clusterSeconds = since(t);

  // scores: 0 for a normal ride (within eps of a kept core ride), else the distance to the nearest kept
  // core ride, in eps
  t = performance.now();
  const verdict = new Uint8Array(m);
  const distance = new Float64Array(m);
  let keptCores = 0;
  for (let j = 0; j < mc; j++) if (dbscan.isCore[j] === 1 && keep[dbscan.labels[j]] === 1) keptCores++;
  const kx = new Float64Array(keptCores);
  const ky = new Float64Array(keptCores);
  for (let j = 0, p = 0; j < mc; j++) {
    if (dbscan.isCore[j] === 1 && keep[dbscan.labels[j]] === 1) {
      kx[p] = cx[j];
      ky[p] = cy[j];
      p++;
    }
  }
  const kept = nearestKeptCore(kx, ky, eps);
  for (let i = 0; i < m; i++) {
    const label = labels[i];
    if (label >= 0 && keep[label] === 1) continue;
    verdict[i] = label < 0 ? VERDICT_NOISE : VERDICT_SMALL_CLUSTER;
    distance[i] = kept.size > 0 ? Math.sqrt(kept.nearest2(xs[i], ys[i])) / eps : Infinity;
  }
  return { labels, verdict, distance, clusterCount: dbscan.clusterCount, sizes, keep, resolved, clusterSeconds, scoreSeconds: since(t) };
}

/** The largest cluster is normal traffic by definition (a day is never all anomalies); the others need the share. */
function keepClusters(sizes: number[], minSize: number): Uint8Array {
  const keep = new Uint8Array(sizes.length);
  let largest = 0;
  for (let c = 1; c < sizes.length; c++) if (sizes[c] > sizes[largest]) largest = c;
  for (let c = 0; c < sizes.length; c++) keep[c] = c === largest || sizes[c] >= minSize ? 1 : 0;
  return keep;
}

/** Median distance from the query points to their k-th nearest neighbour (self included) among (xs, ys). */
export function medianKDistance(xs: Float64Array, ys: Float64Array, qx: Float64Array, qy: Float64Array, k: number): number {
  const kd = kthNeighbourDistances(xs, ys, qx, qy, Math.min(k, xs.length));
  kd.sort();
  return kd.length === 0 ? NaN : kd[(kd.length - 1) >>> 1];
}

/**
 * Cluster of the nearest core ride of the sample within eps (-1: none), for every ride. A grid of side
 * eps/√2 over the sample's core rides: a ride whose own cell holds a core ride is within eps of it, and
 * when every core ride in the 5×5 cells around is of one cluster, that cluster is the answer without a
 * search. The others (near a cluster's edge, or between clusters) look through the 5×5 cells.
 */
function assignToCores(
  xs: Float64Array,
  ys: Float64Array,
  cx: Float64Array,
  cy: Float64Array,
  sample: Uint32Array,
  dbscan: DbscanResult,
  eps: number,
): Int32Array {
  const m = xs.length;
  const labels = new Int32Array(m).fill(-1);
  const eps2 = eps * eps;
  const cores: number[] = [];
  for (let j = 0; j < cx.length; j++) if (dbscan.isCore[j] === 1) cores.push(j);
  // the sample's own rides keep DBSCAN's labels
  for (let j = 0; j < sample.length; j++) labels[sample[j]] = dbscan.labels[j];
  if (cores.length === 0) return labels;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const j of cores) {
    if (cx[j] < x0) x0 = cx[j];
    if (cx[j] > x1) x1 = cx[j];
    if (cy[j] < y0) y0 = cy[j];
    if (cy[j] > y1) y1 = cy[j];
  }
  const side = eps * Math.SQRT1_2 * (1 - 1e-12);
  const PAD = 2;
  const W = Math.floor((x1 - x0) / side) + 1 + 2 * PAD;
  const H = Math.floor((y1 - y0) / side) + 1 + 2 * PAD;
  const inSample = new Uint8Array(m);
  for (let j = 0; j < sample.length; j++) inSample[sample[j]] = 1;
  if (W * H > 4 * cores.length + (1 << 16)) {
    // a sparse cloud of core rides (tiny eps): no grid, a k-d tree of the core rides
    const px = Float64Array.from(cores, (j) => cx[j]);
    const py = Float64Array.from(cores, (j) => cy[j]);
    const tree = new NearestPoints(px, py);
    for (let i = 0; i < m; i++) {
      if (inSample[i] === 1) continue;
      const near = tree.nearest(xs[i], ys[i]);
      if (near.distance2 <= eps2) labels[i] = dbscan.labels[cores[near.index]];
    }
    return labels;
  }
  const cellOf = (x: number, y: number) => (Math.floor((x - x0) / side) + PAD) * H + Math.floor((y - y0) / side) + PAD;
  const start = new Int32Array(W * H + 1);
  for (const j of cores) start[cellOf(cx[j], cy[j]) + 1]++;
  for (let c = 0; c < W * H; c++) start[c + 1] += start[c];
  const fill = start.slice(0, W * H);
  const gx = new Float64Array(cores.length);
  const gy = new Float64Array(cores.length);
  const gl = new Int32Array(cores.length);
  for (const j of cores) {
    const p = fill[cellOf(cx[j], cy[j])]++;
    gx[p] = cx[j];
    gy[p] = cy[j];
    gl[p] = dbscan.labels[j];
  }
  // per cell: the one cluster of its core rides (-1 none, -2 several)
  const cellLabel = new Int32Array(W * H).fill(-1);
  for (let c = 0; c < W * H; c++) {
    for (let p = start[c]; p < start[c + 1]; p++) {
      if (cellLabel[c] === -1) cellLabel[c] = gl[p];
      else if (cellLabel[c] !== gl[p]) cellLabel[c] = -2;
    }
  }
  // per cell holding core rides: the one cluster of all core rides within its 5×5 block, else -2
  const pure = new Int32Array(W * H).fill(-2);
  for (let a = PAD; a < W - PAD; a++) {
    for (let b = PAD; b < H - PAD; b++) {
      const c = a * H + b;
      if (cellLabel[c] < 0) continue;
      let label = cellLabel[c];
      for (let da = -PAD; da <= PAD && label >= 0; da++) {
        for (let db = -PAD; db <= PAD; db++) {
          const other = cellLabel[c + da * H + db];
          if (other === -1 || other === label) continue;
          label = -2;
          break;
        }
      }
      pure[c] = label;
    }
  }
  for (let i = 0; i < m; i++) {
    if (inSample[i] === 1) continue;
    const x = xs[i];
    const y = ys[i];
    const a = Math.floor((x - x0) / side) + PAD;
    const b = Math.floor((y - y0) / side) + PAD;
    if (!(a >= 0 && a < W && b >= 0 && b < H)) continue; // more than 2 cells from every core ride: beyond eps
    const c = a * H + b;
    if (pure[c] >= 0) {
      labels[i] = pure[c];
      continue;
    }
    let best = Infinity;
    let bestLabel = -1;
    for (let da = -PAD; da <= PAD; da++) {
      const aa = a + da;
      if (aa < 0 || aa >= W) continue;
      for (let db = -PAD; db <= PAD; db++) {
        const bb = b + db;
        if (bb < 0 || bb >= H) continue;
        const d = aa * H + bb;
        for (let p = start[d]; p < start[d + 1]; p++) {
          const dx = gx[p] - x;
          const dy = gy[p] - y;
          const d2 = dx * dx + dy * dy;
          if (d2 <= eps2 && d2 < best) {
            best = d2;
            bestLabel = gl[p];
          }
        }
      }
    }
    labels[i] = bestLabel;
  }
  return labels;
}

/** Nearest kept core ride to a ride: squared distance. */
interface NearestCore {
  readonly size: number;
  nearest2(x: number, y: number): number;
}

/**
 * A nearest-point index over the kept core rides (px, py), for rides farther than eps from all of them.
 * On a grid of side eps/√2, a core ride whose 5×5 block of cells is full (every cell holds a core ride)
 * is never the nearest to such a ride: the ride lies in an empty cell, at least 3 cells away from that
 * core ride's cell along some axis, and the cell of the block two steps towards it holds a core ride
 * closer on that axis by at least one cell side and no farther on the other. Only the others (the shell)
 * go into the k-d tree.
 */
function nearestKeptCore(px: Float64Array, py: Float64Array, eps: number): NearestCore {
  const n = px.length;
  const everything = (): NearestCore => {
    const tree = new NearestPoints(px, py);
    return { size: n, nearest2: (x, y) => tree.nearest(x, y).distance2 };
  };
  if (n === 0) return everything();
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    if (px[i] < x0) x0 = px[i];
    if (px[i] > x1) x1 = px[i];
    if (py[i] < y0) y0 = py[i];
    if (py[i] > y1) y1 = py[i];
  }
  const side = eps * Math.SQRT1_2 * (1 - 1e-12);
  const PAD = 2;
  const W = Math.floor((x1 - x0) / side) + 1 + 2 * PAD;
  const H = Math.floor((y1 - y0) / side) + 1 + 2 * PAD;
  if (W * H > 4 * n + (1 << 16)) return everything();
  const cell = new Int32Array(n);
  const occupied = new Uint8Array(W * H);
  for (let i = 0; i < n; i++) {
    cell[i] = (Math.floor((px[i] - x0) / side) + PAD) * H + Math.floor((py[i] - y0) / side) + PAD;
    occupied[cell[i]] = 1;
  }
  // per cell: is its 5×5 block full? (cells at the padded edge never are)
  const full = new Uint8Array(W * H);
  for (let a = PAD; a < W - PAD; a++) {
    for (let b = PAD; b < H - PAD; b++) {
      let all = 1;
      for (let da = -PAD; da <= PAD && all; da++) {
        for (let db = -PAD; db <= PAD; db++) {
          if (occupied[(a + da) * H + b + db] === 0) {
            all = 0;
            break;
          }
        }
      }
      full[a * H + b] = all;
    }
  }
  let shell = 0;
  for (let i = 0; i < n; i++) if (full[cell[i]] === 0) shell++;
  const sx = new Float64Array(shell);
  const sy = new Float64Array(shell);
  for (let i = 0, k = 0; i < n; i++) {
    if (full[cell[i]] === 1) continue;
    sx[k] = px[i];
    sy[k] = py[i];
    k++;
  }
  const tree = new NearestPoints(sx, sy);
  return { size: n, nearest2: (x, y) => tree.nearest(x, y).distance2 };
}

function gather(values: Float64Array, index: Uint32Array): Float64Array {
  const out = new Float64Array(index.length);
  for (let k = 0; k < index.length; k++) out[k] = values[index[k]];
  return out;
}

function roundSignificant(value: number, digits: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

function since(start: number): number {
  return (performance.now() - start) / 1000;
}
