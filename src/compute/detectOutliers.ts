// The detection pipeline for one day, pure computation: validity rules, features, standard scaling,
// a detector (DBSCAN with the small-cluster rule, or k-means distances) and a score per ride.
import { applyValidityRules, resolveRuleLimits, type FareColumns, type RuleLimits } from './prepare/validityRules.js';
import { addMoments, dayPairMoments, hasZone, totalRides, type PairMoments } from './context/pairMoments.js';
import { buildBaseline, type BaselineOptions, type ContextLevel } from './context/baseline.js';
import { CONTEXT_FEATURE_NAMES, contextFeatures } from './context/contextFeatures.js';
import { standardScale, type ScalerStats } from './prepare/standardScale.js';
import { OUTLIER_REASONS, reasonCode } from './outlierReasons.js';
import { rideFeatures, type FeatureSet } from './prepare/rideFeatures.js';
import { rideHashes } from './prepare/rideSample.js';
import { runDbscanDetector, VERDICT_NOISE, type ResolvedDbscan } from './dbscan/dbscanDetector.js';
import { kmeansOutliers } from './kmeans/kmeansOutliers.js';
import { since } from './compute_util.js';

export * from './detectorParams.js';
import { clustersWithReference, DEFAULT_DETECTOR, KMEANS_DEFAULTS, type DetectorAlgorithm, type DetectorParams } from './detectorParams.js';

/** Zone ids per ride (TLC LocationID; 0 = none). */
export interface ZoneColumns {
  pickup: Int16Array;
  dropoff: Int16Array;
  /** local hour of pickup, 0–23 (255: unknown) */
  hour?: Uint8Array;
}

/** What a day may carry beyond distance and duration, and what it is judged against. */
export interface DetectionInputs {
  /** fares and payment types (TLC): the void_fare rule */
  fares?: FareColumns;
  /** pickup and dropoff zones (TLC): with `history`, each ride is judged against its zone pair */
  zones?: ZoneColumns;
  /** the trailing days' zone-pair moments (summed by pair) and each zone's area (baseline.ts zoneArea) */
  history?: { moments: PairMoments; days: number; areaOf: ReadonlyMap<number, string> };
  /**
   * Trailing rides scored before: the day is clustered together with them (eps and min_samples 'auto'
   * only), so that a 300-ride day meets the same density as a 1M-ride day. Only the day's rides get flags.
   */
  reference?: { distanceKm: Float64Array; durationMin: Float64Array; zones?: ZoneColumns };
}

/**
 * Below this many rides in the trailing days' baseline, the day's own valid rides are added to it: the
 * first days of a database have no history, and a pair seen once is better than none.
 */
export const MIN_HISTORY_RIDES = 2000;
/** the day's own rides further than this many spreads from their pair's first estimate are left out of it */
const TRIM_Z = 2.5;

export interface ResolvedContext {
  /** rides and zone pairs in the baseline; trailing days it came from */
  baselineRides: number;
  baselinePairs: number;
  baselineDays: number;
  /** the day's own rides were added to a thin history */
  ownDayIncluded: boolean;
  /** the day's valid rides by the level they were judged at (zone_map absent in runs before the map) */
  levels: Record<ContextLevel, number>;
  /** the zone map (context 'zone_map'): zones placed, pairs fitted, c km, the fit's root mean square error in ln units */
  map?: { zones: number; pairs: number; c: number; rmse: number };
  /** the mean ln-speed residual per pickup hour taken out (rounded to 0.001); null without hours */
  hourEffect: number[] | null;
}

export interface ResolvedDetector {
  algorithm: DetectorAlgorithm;
  features: FeatureSet;
  rules: RuleLimits;
  /** asinh_distance_log_speed: the median distance (km) the day's distances were divided by */
  distanceScaleKm?: number;
  /** rides that passed the rules and were scaled */
  validRides: number;
  /** trailing rides clustered with the day (0: the day alone) */
  referenceRides: number;
  /** how the rides were judged against their zone pairs; absent when they were not (no zones, or context 'none') */
  context?: ResolvedContext;
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

export function detectOutliers(distanceKm: Float64Array, durationMin: Float64Array, params: DetectorParams, inputs: DetectionInputs = {}): DetectionResult {
  const n = distanceKm.length;
  const algorithm: DetectorAlgorithm = params.algorithm ?? 'dbscan';
  const featureSet = params.features ?? 'distance_duration';
  const rules = resolveRuleLimits(params.rules);
  let t = performance.now();
  const ruleCodes = applyValidityRules(distanceKm, durationMin, rules, inputs.fares);
  const validIndex = indicesWhere(ruleCodes, 0);
  const m = validIndex.length;
  // The day's valid rides first, then the reference rides that pass the rules: clustered together,
  // flagged only for the day.
  const reference = clustersWithReference(params) && inputs.reference ? validReference(inputs.reference, rules) : null;
  const r = reference ? reference.distanceKm.length : 0;
  const validDistance = new Float64Array(m + r);
  const validDuration = new Float64Array(m + r);
  for (let k = 0; k < m; k++) {
    validDistance[k] = distanceKm[validIndex[k]];
    validDuration[k] = durationMin[validIndex[k]];
  }
  if (reference) {
    validDistance.set(reference.distanceKm, m);
    validDuration.set(reference.durationMin, m);
  }
  const rulesSeconds = since(t);

  t = performance.now();
  const contextKind = params.algorithm !== 'kmeans' ? (params.context ?? 'none') : 'none';
  const context = contextKind !== 'none' ? judgeInContext(inputs, ruleCodes, validIndex, reference, distanceKm, durationMin, { zoneMap: contextKind === 'zone_map' }) : null;
  const features = context
    ? { a: context.features.a, b: context.features.b, names: CONTEXT_FEATURE_NAMES, distanceScaleKm: undefined }
    : rideFeatures(featureSet, validDistance, validDuration);
  const scaled = m + r > 0 ? standardScale(features.a, features.b, features.names) : null;
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
  const resolved: ResolvedDetector = { algorithm, features: featureSet, rules, validRides: m, referenceRides: r };
  if (context) resolved.context = context.resolved;
  if (features.distanceScaleKm !== undefined) resolved.distanceScaleKm = features.distanceScaleKm;
  let clusters: ClusterSummary;
  let clusterSeconds: number;
  let scoreSeconds: number;

  if (params.algorithm === 'kmeans') {
    t = performance.now();
    const hashes = rideHashes(validDistance.subarray(0, m), validDuration.subarray(0, m));
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
    const needHashes = params.eps === 'auto' || m + r > sampleSize;
    const hashes = needHashes ? rideHashes(validDistance, validDuration) : null;
    const hashSeconds = since(t);
    const outcome = runDbscanDetector(xs, ys, hashes, {
      eps: params.eps,
      minSamples: params.minSamples,
      minClusterShare: params.minClusterShare,
      epsScale: context ? (params.contextEpsScale ?? DEFAULT_DETECTOR.contextEpsScale) : (params.epsScale ?? DEFAULT_DETECTOR.epsScale),
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

/** The reference rides that pass the distance and duration rules (their fares were judged on their own day). */
function validReference(reference: NonNullable<DetectionInputs['reference']>, rules: RuleLimits): NonNullable<DetectionInputs['reference']> {
  const codes = applyValidityRules(reference.distanceKm, reference.durationMin, rules);
  const keep = indicesWhere(codes, 0);
  const pick = <T extends Float64Array | Int16Array | Uint8Array>(from: T, make: (n: number) => T): T => {
    const out = make(keep.length);
    for (let k = 0; k < keep.length; k++) out[k] = from[keep[k]];
    return out;
  };
  return {
    distanceKm: pick(reference.distanceKm, (n) => new Float64Array(n)),
    durationMin: pick(reference.durationMin, (n) => new Float64Array(n)),
    zones: reference.zones && {
      pickup: pick(reference.zones.pickup, (n) => new Int16Array(n)),
      dropoff: pick(reference.zones.dropoff, (n) => new Int16Array(n)),
      hour: reference.zones.hour && pick(reference.zones.hour, (n) => new Uint8Array(n)),
    },
  };
}

/**
 * Context features for the day's valid rides (then the reference's), when the day's rides carry
 * zones and there is a baseline; null otherwise: a day without zones (the company CSV) keeps the
 * day-level features.
 */
function judgeInContext(
  inputs: DetectionInputs,
  ruleCodes: Uint8Array,
  validIndex: Uint32Array,
  reference: NonNullable<DetectionInputs['reference']> | null,
  distanceKm: Float64Array,
  durationMin: Float64Array,
  options: BaselineOptions,
) {
  const zones = inputs.zones;
  if (!zones || !inputs.history) return null;
  let zoned = 0;
  for (let k = 0; k < validIndex.length; k++) if (hasZone(zones.pickup[validIndex[k]]) && hasZone(zones.dropoff[validIndex[k]])) zoned++;
  if (zoned === 0) return null;
  let moments = inputs.history.moments;
  const ownDayIncluded = totalRides(moments) < MIN_HISTORY_RIDES;
  let baseline = ownDayIncluded ? null : buildBaseline(moments, inputs.history.areaOf, options);
  if (ownDayIncluded) {
    // The day's own rides, anomalies and all, judged by a first baseline of them; then the rides
    // within TRIM_Z of their pair on both features make the baseline. Stored history is already
    // cleaned by the flags of its runs; a first day is not. Measured on the 22.8k-ride TLC day with
    // 3% injected faults (before the speed residual lost its per-pair spread): meter_running recall
    // 0.74 untrimmed, 0.77 trimmed at 2.5, 0.71 at 3.
    const valid = new Uint8Array(ruleCodes.length);
    for (let i = 0; i < valid.length; i++) valid[i] = ruleCodes[i] === 0 && distanceKm[i] > 0 ? 1 : 0;
    const first = buildBaseline(addMoments(moments, dayPairMoments(distanceKm, durationMin, valid, zones.pickup, zones.dropoff)), inputs.history.areaOf, options);
    if (first) {
      for (let i = 0; i < valid.length; i++) {
        if (valid[i] === 0) continue;
        const ref = first.reference(zones.pickup[i], zones.dropoff[i]);
        const ld = Math.log(distanceKm[i]);
        if (Math.abs(ld - ref.meanD) > TRIM_Z * ref.sdD || Math.abs(ld - Math.log(durationMin[i]) - ref.meanS) > TRIM_Z * ref.sdS) valid[i] = 0;
      }
      moments = addMoments(moments, dayPairMoments(distanceKm, durationMin, valid, zones.pickup, zones.dropoff));
      baseline = buildBaseline(moments, inputs.history.areaOf, options);
    }
  }
  if (!baseline) return null;
  const m = validIndex.length;
  const r = reference ? reference.distanceKm.length : 0;
  const d = new Float64Array(m + r);
  const t = new Float64Array(m + r);
  const pickup = new Int16Array(m + r);
  const dropoff = new Int16Array(m + r);
  const hour = zones.hour ? new Uint8Array(m + r).fill(255) : null;
  for (let k = 0; k < m; k++) {
    const i = validIndex[k];
    d[k] = distanceKm[i];
    t[k] = durationMin[i];
    pickup[k] = zones.pickup[i];
    dropoff[k] = zones.dropoff[i];
    if (hour) hour[k] = zones.hour![i];
  }
  if (reference) {
    d.set(reference.distanceKm, m);
    t.set(reference.durationMin, m);
    if (reference.zones) {
      pickup.set(reference.zones.pickup, m);
      dropoff.set(reference.zones.dropoff, m);
      if (hour && reference.zones.hour) hour.set(reference.zones.hour, m);
    }
  }
  const features = contextFeatures(d, t, pickup, dropoff, baseline, m, hour, options.zoneMap === true);
  const resolved: ResolvedContext = {
    baselineRides: baseline.rides,
    baselinePairs: baseline.pairs,
    baselineDays: inputs.history.days,
    ownDayIncluded,
    levels: features.levels,
    ...(baseline.map ? { map: { zones: baseline.map.zones, pairs: baseline.map.pairs, c: round3(baseline.map.c), rmse: round3(Math.sqrt(baseline.map.loss)) } } : {}),
    hourEffect: features.hourEffect && features.hourEffect.map((v) => Math.round(v * 1000) / 1000),
  };
  return { features, resolved };
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
