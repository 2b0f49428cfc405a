// What a detector is asked to do: its parameters, by algorithm, and the three presets. Constants
// and types only, so that the command line can show its defaults without loading the detector
// (TF.js and the clustering): `ridescan detect --help` stays fast.
import type { RuleLimits } from './prepare/validityRules.js';
import type { FeatureSet } from './prepare/rideFeatures.js';

export type DetectorAlgorithm = 'dbscan' | 'kmeans';

/** How rides with zones are judged (DbscanDetectorParams.context). */
export const DETECTOR_CONTEXTS = ['zone_map', 'zone_pair', 'none'] as const;
export type DetectorContext = (typeof DETECTOR_CONTEXTS)[number];

/** What every detector takes: the features it works on and the limits of the rules. */
interface CommonParams {
  /** default 'distance_duration' (the book's) */
  features?: FeatureSet;
  /** limits of the rules; missing ones take DEFAULT_RULE_LIMITS (rules apply on every day, whatever the detector) */
  rules?: Partial<RuleLimits>;
}

/**
 * DBSCAN with the small-cluster rule. `algorithm` may be left out: the first releases' parameters
 * `{ eps, minSamples, minClusterShare }` (still recorded that way in old runs) mean what they meant.
 */
export interface DbscanDetectorParams extends CommonParams {
  algorithm?: 'dbscan';
  /** radius in standardised units, or 'auto': epsScale × the median k-distance (k = minSamples) */
  eps: number | 'auto';
  /** min_samples (the ride itself counted), or 'auto': 1/400 of the rides clustered, at least 10 */
  minSamples: number | 'auto';
  /** clusters holding less than this share of the valid rides are outliers (0 = noise only) */
  minClusterShare: number;
  /** eps 'auto' only; default 3 */
  epsScale?: number;
  /**
   * 'zone_pair': rides that carry pickup and dropoff zones (TLC) are judged against what is normal for
   * their zone pair in the trailing weeks (the features become z-scores within the pair); rides of
   * a day without zones keep `features`. 'zone_map': the same, with a seldom seen pair's usual
   * distance taken from a map of the zones fitted on all pairs (context/zoneMap.ts) instead of its
   * borough pair's. Default (when left out): 'none', what older runs did.
   */
  context?: DetectorContext;
  /**
   * eps 'auto' with context: eps is this × the median k-distance instead of epsScale. Within-pair
   * features pack normal rides denser about their centre than the day-level features do, so the same
   * density ratio would flag far more (at 3: 9% of real trips). Chosen on the 2019 TLC months
   * (`evaluate --scenario tlc`, docs/detector.md). With 'zone_pair', 6 caught 47% of long hauls but
   * flagged 3.5% of airport trips, 7 flagged 2.6% and caught 37%. With 'zone_map' (the default),
   * 6.5: long hauls 64–67%, airport trips 2.6–2.7%, meter left running 0.90–0.94 (at 7: 0.885–0.90)
   * on seeds 1–3.
   */
  contextEpsScale?: number;
  /** trailing days whose zone-pair baseline rows a run sums (context); default 84 */
  baselineDays?: number;
  /**
   * eps and min_samples 'auto': a day with fewer valid rides than this is clustered together with
   * trailing rides scored normal (of the last baselineDays days, hash-sampled), up to this many in
   * all, so that a 300-ride day meets the density a large day has. Flags are the day's only. 0 or
   * left out: the day alone.
   */
  referenceRides?: number;
  /**
   * At most this many rides are clustered, a hash sample of larger days; default: all (no sampling).
   * Only with minSamples 'auto', which scales with the rides clustered: a given min_samples counts rides
   * of the whole day, so such a day is clustered whole.
   */
  sampleSize?: number;
}

/** k-means distances: the `contamination` share of the rides farthest from their centroid. */
export interface KmeansDetectorParams extends CommonParams {
  algorithm: 'kmeans';
  /** share of the valid rides flagged; default 0.05 */
  contamination?: number;
  /** number of centroids; default 2 */
  k?: number;
  /** the centroids are fitted on at most this many rides; default 20,000 */
  fitSampleSize?: number;
  /** seed of k-means++; default 1 */
  seed?: number;
  /**
   * Not used by k-means. KMEANS_DEFAULTS carries them ('auto', 'auto', 0) so that the parameters a
   * k-means run records (detection_runs.parameters) keep the shape they have always had.
   */
  eps?: 'auto';
  minSamples?: 'auto';
  minClusterShare?: 0;
}

/** A detector's parameters, by algorithm. */
export type DetectorParams = DbscanDetectorParams | KmeansDetectorParams;

/**
 * The default detector (README, "Choosing the default detector"): DBSCAN on asinh(distance / median)
 * and log speed, eps 3 × the median k-distance, min_samples 1/400 of the rides clustered (at least 10),
 * clusters under 5% of the day flagged, days above 50,000 valid rides clustered on a 50,000-ride hash
 * sample; rides with zones judged in their zone pair, seldom seen pairs by the zone map.
 */
export const DEFAULT_DETECTOR = Object.freeze({
  algorithm: 'dbscan',
  features: 'asinh_distance_log_speed',
  eps: 'auto',
  epsScale: 3,
  minSamples: 'auto',
  minClusterShare: 0.05,
  sampleSize: 50_000,
  context: 'zone_map',
  contextEpsScale: 6.5,
  baselineDays: 84,
  referenceRides: 30_000,
} as const satisfies DetectorParams);

/** The book's recipe: eps 0.3 and min_samples 10 on standardised (distance, duration), noise only. */
export const BOOK_RECIPE = Object.freeze({
  algorithm: 'dbscan',
  features: 'distance_duration',
  eps: 0.3,
  minSamples: 10,
  minClusterShare: 0,
} as const satisfies DetectorParams);

/** k-means defaults for `--algorithm kmeans` (README). */
export const KMEANS_DEFAULTS = Object.freeze({
  algorithm: 'kmeans',
  features: 'asinh_distance_log_speed',
  eps: 'auto',
  minSamples: 'auto',
  minClusterShare: 0,
  k: 2,
  contamination: 0.05,
  fitSampleSize: 20_000,
  seed: 1,
} as const satisfies DetectorParams);

/**
 * Whether a day is clustered together with trailing rides (`referenceRides`): DBSCAN with eps and
 * min_samples both 'auto'. Given values mean the day alone (the book's recipe). The pipeline reads
 * the rides only then; detectOutliers uses them only then.
 */
export function clustersWithReference(params: DetectorParams): params is DbscanDetectorParams {
  return params.algorithm !== 'kmeans' && params.eps === 'auto' && params.minSamples === 'auto';
}

/** What a run actually used: the parameters with every default and 'auto' resolved. */
