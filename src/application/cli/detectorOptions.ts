// The detector's command-line flags, shared by the commands that score rides (evaluate; detect,
// schedule and backfill can add the same): parsed with zod at the edge, turned into DetectorParams.
//
// Defaults are DEFAULT_DETECTOR's. A numeric --eps without --features means the first releases'
// features (distance, duration), so that `--eps 0.3 --min-samples 10 --min-cluster-share 0` is the
// book's recipe exactly; a numeric --min-samples turns sampling off (it counts rides of the whole day).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_DETECTOR, DETECTOR_CONTEXTS, KMEANS_DEFAULTS, type DetectorParams } from '../../compute/detectorParams.js';
import { FEATURE_SETS, type FeatureSet } from '../../compute/prepare/rideFeatures.js';
import { DEFAULT_RULE_LIMITS } from '../../compute/prepare/validityRules.js';
import { asNumber, parseWith } from './options.js';

const positive = z.number().positive('must be greater than 0').finite('must be a finite number');
// Bounds where a value stops meaning anything and starts flagging whole days: eps is in standard
// deviations (1e-300 passed the flag and failed the run), min_samples beyond 10,000 or a sample
// under 1,000 rides made 99-100% of a day noise.
const epsValue = positive.min(0.001, 'must be at least 0.001 (standard deviations)').max(100, 'must be at most 100 (standard deviations)');
const epsScale = positive.min(0.1, 'must be at least 0.1').max(100, 'must be at most 100');
const minSamples = z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10,000');
const sampleSize = z.number().int('must be a whole number').min(1_000, 'must be at least 1,000').max(5_000_000, 'must be at most 5,000,000');
const share = z.number().min(0, 'must be within [0, 1)').lt(1, 'must be within [0, 1)');
const count = z.number().int('must be a whole number').min(1, 'must be at least 1');
const limit = z.number().positive('must be greater than 0');

export const DetectorFlags = z.object({
  algorithm: z.enum(['dbscan', 'kmeans']),
  features: z.enum(FEATURE_SETS).optional(),
  eps: z.union([z.literal('auto'), epsValue]),
  epsScale,
  minSamples: z.union([z.literal('auto'), minSamples]),
  minClusterShare: share,
  sampleSize,
  k: count.max(100, 'must be at most 100'),
  contamination: share,
  maxSpeed: limit,
  maxDuration: limit,
  longTrip: limit,
  zeroDistanceMax: limit,
  minTripDistance: limit,
  context: z.enum(DETECTOR_CONTEXTS),
  contextEpsScale: epsScale,
  baselineDays: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3660, 'must be at most 3660'),
  referenceRides: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000, 'must be at most 1,000,000'),
});

/** 'auto' or a value of the schema */
function autoOr<T>(schema: z.ZodType<T>) {
  return (raw: string): T | 'auto' => {
    if (raw.trim() === 'auto') return 'auto';
    const parsed = schema.safeParse(asNumber(raw));
    if (!parsed.success) throw new InvalidArgumentError(`${parsed.error.issues.map((i) => i.message).join('; ')} (or auto)`);
    return parsed.data;
  };
}

export function addDetectorOptions(command: Command): Command {
  const d = DEFAULT_DETECTOR;
  const r = DEFAULT_RULE_LIMITS;
  return command
    .addOption(new Option('--algorithm <name>', 'dbscan or kmeans').choices(['dbscan', 'kmeans']).default(d.algorithm))
    .addOption(
      new Option('--features <set>', `features clustered, standardised (default ${d.features}; distance_duration with a numeric --eps)`).choices([
        ...FEATURE_SETS,
      ]),
    )
    .addOption(
      new Option('--eps <number|auto>', 'DBSCAN radius in standard deviations, or auto: --eps-scale × the median distance to the min_samples-th neighbour')
        .argParser(autoOr(epsValue))
        .default(d.eps),
    )
    .addOption(new Option('--eps-scale <number>', 'eps auto: the multiple of the median k-distance').argParser(parseWith(epsScale, asNumber)).default(d.epsScale))
    .addOption(
      new Option('--min-samples <n|auto>', 'rides within eps (itself included) that make a core ride; auto: 1/400 of the rides clustered, at least 10')
        .argParser(autoOr(minSamples))
        .default(d.minSamples),
    )
    .addOption(
      new Option('--min-cluster-share <share>', 'clusters holding less than this share of the day are outliers; 0 = noise only (the book)')
        .argParser(parseWith(share, asNumber))
        .default(d.minClusterShare),
    )
    .addOption(
      new Option('--sample-size <n>', 'min-samples auto: days with more valid rides are clustered on a sample of this many')
        .argParser(parseWith(sampleSize, asNumber))
        .default(d.sampleSize),
    )
    .addOption(new Option('--k <n>', 'kmeans: number of centroids').argParser(parseWith(count.max(100, 'must be at most 100'), asNumber)).default(KMEANS_DEFAULTS.k))
    .addOption(
      new Option('--contamination <share>', 'kmeans: share of the valid rides flagged, those farthest from their centroid')
        .argParser(parseWith(share, asNumber))
        .default(KMEANS_DEFAULTS.contamination),
    )
    .addOption(new Option('--max-speed <km/h>', 'rule: implied speed above this is flagged (speed_limit)').argParser(parseWith(limit, asNumber)).default(r.maxSpeedKmh))
    .addOption(
      new Option('--max-duration <minutes>', 'rule: rides longer than this under --long-trip km are flagged (duration_limit)')
        .argParser(parseWith(limit, asNumber))
        .default(r.maxDurationMin),
    )
    .addOption(new Option('--long-trip <km>', 'rule: trips this long are exempt from --max-duration').argParser(parseWith(limit, asNumber)).default(r.longTripKm))
    .addOption(
      new Option('--zero-distance-max <minutes>', 'rule: zero-distance rides longer than this are flagged (zero_distance)')
        .argParser(parseWith(limit, asNumber))
        .default(r.zeroDistanceMaxMin),
    )
    .addOption(
      new Option('--min-trip-distance <km>', 'rule: rides shorter than this lasting at most --zero-distance-max minutes are no-trip records (no_trip)')
        .argParser(parseWith(limit, asNumber))
        .default(r.noTripMaxKm),
    )
    .addOption(
      new Option(
        '--context <kind>',
        'zone_map: rides with pickup and dropoff zones (TLC) are judged against their zone pair in the trailing weeks, a seldom seen pair by a map of the zones fitted on all pairs; zone_pair: by its borough pair; none: the day alone',
      )
        .choices([...DETECTOR_CONTEXTS])
        .default(d.context),
    )
    .addOption(
      new Option('--context-eps-scale <number>', 'eps auto with context: the multiple of the median k-distance')
        .argParser(parseWith(epsScale, asNumber))
        .default(d.contextEpsScale),
    )
    .addOption(
      new Option('--baseline-days <n>', 'trailing days of zone-pair baseline (context) and of reference rides')
        .argParser(parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(3660, 'must be at most 3660'), asNumber))
        .default(d.baselineDays),
    )
    .addOption(
      new Option('--reference-rides <n>', 'eps and min-samples auto: smaller days are clustered with trailing normal rides up to this many; 0 = the day alone')
        .argParser(parseWith(z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1_000_000, 'must be at most 1,000,000'), asNumber))
        .default(d.referenceRides),
    );
}

/** DetectorParams from the parsed flags (validated again as a whole). */
export function detectorParamsFromFlags(raw: unknown): DetectorParams {
  const f = DetectorFlags.parse(raw);
  const features: FeatureSet = f.features ?? (f.algorithm === 'dbscan' && f.eps !== 'auto' ? 'distance_duration' : DEFAULT_DETECTOR.features);
  const rules = { maxSpeedKmh: f.maxSpeed, maxDurationMin: f.maxDuration, longTripKm: f.longTrip, zeroDistanceMaxMin: f.zeroDistanceMax, noTripMaxKm: f.minTripDistance };
  if (f.algorithm === 'kmeans') {
    return { ...KMEANS_DEFAULTS, features, k: f.k, contamination: f.contamination, rules };
  }
  return {
    algorithm: 'dbscan',
    features,
    eps: f.eps,
    epsScale: f.epsScale,
    minSamples: f.minSamples,
    minClusterShare: f.minClusterShare,
    sampleSize: f.sampleSize,
    context: f.context,
    contextEpsScale: f.contextEpsScale,
    baselineDays: f.baselineDays,
    referenceRides: f.referenceRides,
    rules,
  };
}

/** One line saying what the detector is, for summaries. */
export function describeDetector(p: DetectorParams): string {
  if (p.algorithm === 'kmeans') {
    return `kmeans on ${p.features ?? 'distance_duration'}, k ${p.k ?? KMEANS_DEFAULTS.k}, contamination ${p.contamination ?? KMEANS_DEFAULTS.contamination}`;
  }
  const eps = p.eps === 'auto' ? `eps auto (${p.epsScale ?? DEFAULT_DETECTOR.epsScale} × median k-distance)` : `eps ${p.eps}`;
  const minSamples = p.minSamples === 'auto' ? 'min_samples auto (1/400 of the rides clustered, at least 10)' : `min_samples ${p.minSamples}`;
  const sample = p.minSamples === 'auto' && p.sampleSize !== undefined && Number.isFinite(p.sampleSize) ? `, sample of ${p.sampleSize.toLocaleString('en-US')} above that` : '';
  const share = p.minClusterShare > 0 ? `min cluster share ${p.minClusterShare}` : 'noise only';
  const context =
    p.context === 'zone_pair' || p.context === 'zone_map'
      ? `; with zones, judged in their zone pair${p.context === 'zone_map' ? ' (seldom seen pairs by the zone map)' : ''} over ${p.baselineDays ?? DEFAULT_DETECTOR.baselineDays} trailing days (eps auto ${p.contextEpsScale ?? DEFAULT_DETECTOR.contextEpsScale} × median k-distance)`
      : '';
  const reference = p.eps === 'auto' && p.minSamples === 'auto' && (p.referenceRides ?? 0) > 0 ? `; days under ${p.referenceRides!.toLocaleString('en-US')} rides clustered with trailing rides` : '';
  return `dbscan on ${p.features ?? 'distance_duration'}, ${eps}, ${minSamples}, ${share}${sample}${context}${reference}`;
}
