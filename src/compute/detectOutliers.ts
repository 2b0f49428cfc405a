// The detection pipeline for one day, pure computation: validity rules, features, standard scaling,
// a detector (DBSCAN with the small-cluster rule, or k-means distances) and a score per ride.
import { applyValidityRules, resolveRuleLimits, type RuleLimits } from './prepare/validityRules.js';
import { standardScale, type ScalerStats } from './prepare/standardScale.js';
import { OUTLIER_REASONS, reasonCode } from './outlierReasons.js';
import { rideFeatures, type FeatureSet } from './prepare/rideFeatures.js';
import { rideHashes } from './prepare/rideSample.js';
import { runDbscanDetector, VERDICT_NOISE, type ResolvedDbscan } from './dbscan/dbscanDetector.js';
import { kmeansOutliers } from './kmeans/kmeansOutliers.js';
import { since } from './compute_util.js';

export * from './detectorParams.js';
import { DEFAULT_DETECTOR, KMEANS_DEFAULTS, type DetectorAlgorithm, type DetectorParams } from './detectorParams.js';

export interface ResolvedDetector {
  algorithm: DetectorAlgorithm;
  features: FeatureSet;
  rules: RuleLimits;
  /** asinh_distance_log_speed: the median distance (km) the day's distances were divided by */
  distanceScaleKm?: number;
  /** rides that passed the rules and were scaled */
  validRides: number;
  dbscan?: ResolvedDbscan;
  kmeans?: {
    k: number;
    contamination: number;
    /** distances to the centroid above this (standardised units) are flagged */
    threshold: number;
    /** centroids in standardised units */
    centroids: number[][];
    iterations: number;
    fittedRides: number;
    seed: number;
  };
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
  /**
   * Rounded to 0.001; NaN for rule flags.
   * DBSCAN: distance to the nearest core ride of a kept cluster, in eps (> 1 for outliers). When the day
   * was clustered on a sample, normal rides score 0.
   * k-means: distance to the nearest centroid / the threshold distance (> 1 for outliers).
   */
  score: Float64Array;
  /** cluster (or k-means centroid) id per ride (-1 noise, -2 not clustered because a rule flagged it) */
  labels: Int32Array;
  scaler: ScalerStats | null;
  clusters: ClusterSummary;
  outliers: number;
  outliersByReason: Record<string, number>;
  resolved: ResolvedDetector;
  timings: { rulesSeconds: number; scaleSeconds: number; clusterSeconds: number; scoreSeconds: number };
}

const NOISE = reasonCode('noise');
const SMALL_CLUSTER = reasonCode('small_cluster');
const KMEANS_DISTANCE = reasonCode('kmeans_distance');

export function detectOutliers(distanceKm: Float64Array, durationMin: Float64Array, params: DetectorParams): DetectionResult {
  const n = distanceKm.length;
  const algorithm: DetectorAlgorithm = params.algorithm ?? 'dbscan';
  const featureSet = params.features ?? 'distance_duration';
  const rules = resolveRuleLimits(params.rules);
  let t = performance.now();
  const ruleCodes = applyValidityRules(distanceKm, durationMin, rules);
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
  const features = rideFeatures(featureSet, validDistance, validDuration);
  const scaled = m > 0 ? standardScale(features.a, features.b, features.names) : null;
  const scaleSeconds = since(t);
  const xs = scaled?.xs ?? new Float64Array(0);
  const ys = scaled?.ys ?? new Float64Array(0);

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
  const resolved: ResolvedDetector = { algorithm, features: featureSet, rules, validRides: m };
  if (features.distanceScaleKm !== undefined) resolved.distanceScaleKm = features.distanceScaleKm;
  let clusters: ClusterSummary;
  let clusterSeconds: number;
  let scoreSeconds: number;

  if (params.algorithm === 'kmeans') {
    t = performance.now();
    const hashes = rideHashes(validDistance, validDuration);
    const k = params.k ?? KMEANS_DEFAULTS.k;
    const contamination = params.contamination ?? KMEANS_DEFAULTS.contamination;
    const seed = params.seed ?? KMEANS_DEFAULTS.seed;
    const outcome = kmeansOutliers(xs, ys, hashes, {
      k,
      contamination,
      fitSampleSize: params.fitSampleSize ?? KMEANS_DEFAULTS.fitSampleSize,
      seed,
    });
    const hashSeconds = since(t) - outcome.clusterSeconds - outcome.scoreSeconds;
    t = performance.now();
    const threshold = outcome.threshold > 0 ? outcome.threshold : Number.MIN_VALUE;
    for (let j = 0; j < m; j++) {
      const i = validIndex[j];
      labels[i] = outcome.labels[j];
      score[i] = round3(outcome.distance[j] / threshold);
      if (outcome.isOutlier[j] === 1) {
        isOutlier[i] = 1;
        codes[i] = KMEANS_DISTANCE;
      }
    }
    clusters = { count: outcome.centroids.length, sizes: outcome.sizes, small: [] };
    resolved.kmeans = {
      k: outcome.centroids.length,
      contamination,
      threshold: outcome.threshold,
      centroids: outcome.centroids,
      iterations: outcome.iterations,
      fittedRides: outcome.fittedRides,
      seed,
    };
    clusterSeconds = hashSeconds + outcome.clusterSeconds;
    scoreSeconds = outcome.scoreSeconds + since(t);
  } else if (params.algorithm == null || params.algorithm === 'dbscan') {
    t = performance.now();
    const sampleSize = params.minSamples === 'auto' ? (params.sampleSize ?? Infinity) : Infinity;
    const needHashes = params.eps === 'auto' || m > sampleSize;
    const hashes = needHashes ? rideHashes(validDistance, validDuration) : null;
    const hashSeconds = since(t);
    const outcome = runDbscanDetector(xs, ys, hashes, {
      eps: params.eps,
      minSamples: params.minSamples,
      minClusterShare: params.minClusterShare,
      epsScale: params.epsScale ?? DEFAULT_DETECTOR.epsScale,
      sampleSize,
    });
    t = performance.now();
    for (let j = 0; j < m; j++) {
      const i = validIndex[j];
      labels[i] = outcome.labels[j];
      // with no cluster at all the score falls back to the distance from the day's mean
      const distance = outcome.clusterCount > 0 ? outcome.distance[j] : Math.hypot(xs[j], ys[j]) / outcome.resolved.eps;
      score[i] = round3(distance);
      if (outcome.verdict[j] !== 0) {
        isOutlier[i] = 1;
        codes[i] = outcome.verdict[j] === VERDICT_NOISE ? NOISE : SMALL_CLUSTER;
      }
    }
    clusters = {
      count: outcome.clusterCount,
      sizes: outcome.sizes,
      small: outcome.sizes.flatMap((_, c) => (outcome.keep[c] ? [] : [c])),
    };
    resolved.dbscan = outcome.resolved;
    clusterSeconds = hashSeconds + outcome.clusterSeconds;
    scoreSeconds = outcome.scoreSeconds + since(t);
  } else {
    throw new RangeError(`unknown algorithm ${String(algorithm)}`);
  }

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
    clusters,
    outliers,
    outliersByReason,
    resolved,
    timings: { rulesSeconds, scaleSeconds, clusterSeconds, scoreSeconds },
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function indicesWhere(codes: Uint8Array, value: number): Uint32Array {
  let count = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] === value) count++;
  const out = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < codes.length; i++) if (codes[i] === value) out[k++] = i;
  return out;
}
