// The detection pipeline for one day, pure computation: validity rules, standard scaling,
// DBSCAN, the small-cluster rule and a score per ride.
import { applyValidityRules } from './validityRules.js';
import { standardScale, type ScalerStats } from './standardScale.js';
import { gridDbscan, nearestCoreDistances } from './gridDbscan.js';
import { OUTLIER_REASONS, reasonCode } from './outlierReasons.js';

export interface DbscanParams {
  eps: number;
  minSamples: number;
  /** clusters holding less than this share of the day's clustered rides are outliers (0 = noise only) */
  minClusterShare: number;
}

export interface ClusterSummary {
  count: number;
  /** sizes (core + border) by cluster id */
  sizes: number[];
  /** ids of clusters flagged as small */
  small: number[];
}

export interface DetectionResult {
  isOutlier: Uint8Array;
  reasonCode: Uint8Array;
  reasonNames: readonly string[];
  /** distance to the nearest core ride of a normal cluster, in eps, rounded to 0.001; NaN for rule flags */
  score: Float64Array;
  /** cluster id per ride (-1 noise, -2 not clustered because a rule flagged it) */
  labels: Int32Array;
  scaler: ScalerStats | null;
  clusters: ClusterSummary;
  outliers: number;
  outliersByReason: Record<string, number>;
  timings: { rulesSeconds: number; scaleSeconds: number; clusterSeconds: number; scoreSeconds: number };
}

const NOISE = reasonCode('noise');
const SMALL_CLUSTER = reasonCode('small_cluster');

export function detectOutliers(distanceKm: Float64Array, durationMin: Float64Array, params: DbscanParams): DetectionResult {
  const n = distanceKm.length;
  let t = performance.now();
  const ruleCodes = applyValidityRules(distanceKm, durationMin);
  const validIndex = indicesWhere(ruleCodes, 0);
  const m = validIndex.length;
  const validDistance = new Float64Array(m);
  const validDuration = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    validDistance[k] = distanceKm[validIndex[k]];
    validDuration[k] = durationMin[validIndex[k]];
  }
  const rulesSeconds = since(t);

  t = performance.now();
  const scaled = m > 0 ? standardScale(validDistance, validDuration, ['distance_km', 'duration_min']) : null;
  const scaleSeconds = since(t);

  t = performance.now();
  const xs = scaled?.xs ?? new Float64Array(0);
  const ys = scaled?.ys ?? new Float64Array(0);
  const dbscan = gridDbscan(xs, ys, params.eps, params.minSamples);
  const sizes = new Array<number>(dbscan.clusterCount).fill(0);
  for (let k = 0; k < m; k++) if (dbscan.labels[k] >= 0) sizes[dbscan.labels[k]]++;
  const keep = new Uint8Array(dbscan.clusterCount);
  const largest = sizes.indexOf(Math.max(...sizes));
  for (let c = 0; c < dbscan.clusterCount; c++) {
    // The largest cluster is normal traffic by definition: a day is never all anomalies.
    keep[c] = c === largest || sizes[c] >= params.minClusterShare * m ? 1 : 0;
  }
  const clusterSeconds = since(t);

  t = performance.now();
  const distances = dbscan.clusterCount > 0 ? nearestCoreDistances(xs, ys, dbscan, keep) : null;
  const isOutlier = new Uint8Array(n);
  const codes = new Uint8Array(n);
  const score = new Float64Array(n).fill(NaN);
  const labels = new Int32Array(n).fill(-2);
  for (let i = 0; i < n; i++) {
    if (ruleCodes[i] !== 0) {
      isOutlier[i] = 1;
      codes[i] = ruleCodes[i];
    }
  }
  for (let k = 0; k < m; k++) {
    const i = validIndex[k];
    const label = dbscan.labels[k];
    labels[i] = label;
    // With no cluster at all the score falls back to the distance from the day's mean.
    const distance = distances ? distances[k] : Math.hypot(xs[k], ys[k]);
    score[i] = Math.round((distance / params.eps) * 1000) / 1000;
    if (label < 0) {
      isOutlier[i] = 1;
      codes[i] = NOISE;
    } else if (keep[label] === 0) {
      isOutlier[i] = 1;
      codes[i] = SMALL_CLUSTER;
    }
  }
  const scoreSeconds = since(t);

  const outliersByReason: Record<string, number> = {};
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    if (codes[i] === 0) continue;
    outliers++;
    const name = OUTLIER_REASONS[codes[i] - 1];
    outliersByReason[name] = (outliersByReason[name] ?? 0) + 1;
  }
  return {
    isOutlier,
    reasonCode: codes,
    reasonNames: OUTLIER_REASONS,
    score,
    labels,
    scaler: scaled?.stats ?? null,
    clusters: { count: dbscan.clusterCount, sizes, small: sizes.flatMap((_, c) => (keep[c] ? [] : [c])) },
    outliers,
    outliersByReason,
    timings: { rulesSeconds, scaleSeconds, clusterSeconds, scoreSeconds },
  };
}

function indicesWhere(codes: Uint8Array, value: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] === value) count++;
  const out = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] === value) out[k++] = i;
  return out;
}

function since(start: number): number {
  return (performance.now() - start) / 1000;
}
