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
import { gridDbscan } from './gridDbscan.js';
import { nearestCoreDistances } from './nearestCore.js';
import { kthNeighbourDistances } from './kthNeighbours.js';
import { assignToCores, nearestKeptCore } from './sampleExtension.js';
import { hashSample } from '../prepare/rideSample.js';
import { since } from '../compute_util.js';

export interface DbscanRunParams {
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
  params: DbscanRunParams,
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

function gather(values: Float64Array, index: Uint32Array): Float64Array {
  const out = new Float64Array(index.length);
  for (let k = 0; k < index.length; k++) out[k] = values[index[k]];
  return out;
}

function roundSignificant(value: number, digits: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}
