// What is normal for a trip between two zones: the mean and spread of ln(distance) and ln(speed) of
// the rides between them in the trailing weeks. Each estimate is shrunk towards its parent (an
// empirical-Bayes estimate: a pair seen twice says little, one seen 500 times says nearly all):
//
//   zone pair → area pair → all rides
//
// Pairs are unordered: A→B and B→A cover the same streets, and pooling them doubles what a sparse
// history knows (on the 2019 sample, long-haul recall 0.38 → 0.43 at fewer flags). Areas are the
// boroughs, with each airport an area of its own: JFK and LaGuardia are in Queens, but a ride to JFK
// is not like a ride to Astoria. (A level between area pair and all, the rides to or from the pair's
// less common area, was tried: it flagged more airport trips, 4.3% against 3.8%, and was dropped.)
//
// Why z-scores of logs: a long haul (the same trip by a far longer route, at a normal speed) is
// invisible on the day's distance–duration plane, among the day's many legitimately long trips;
// against its own pair it lies ln 2–3 ≈ 0.7–1.1 above the pair's mean ln(distance), where the pairs
// of the 2019 sample spread by 0.31 (different zones) to 0.61 (within one zone).
import { hasZone, pairKey, type PairMoments } from './pairMoments.js';
import { fitZoneMap, type ZoneMap } from './zoneMap.js';

/** pseudo-rides of the parent level each estimate starts from (measured: evaluate --scenario tlc) */
export const SHRINK_RIDES = 5;
/** no spread below this, in ln units (a pair of identical rides is not infinitely strict) */
export const MIN_SD = 0.05;

/**
 * zone_pair: the pair's own rides (at least SHRINK_RIDES); zone_map: a pair of two zones seldom or
 * never seen together, judged by the zone map's distance (zoneMap.ts); area_pair: borough pair
 * (airports apart); all: all rides.
 */
export const CONTEXT_LEVELS = ['zone_pair', 'zone_map', 'area_pair', 'all'] as const;
export type ContextLevel = (typeof CONTEXT_LEVELS)[number];

export interface Reference {
  /** mean and standard deviation of ln(distance km) */
  meanD: number;
  sdD: number;
  /** of ln(distance km / duration min): ln(speed) up to a constant */
  meanS: number;
  sdS: number;
  /** the most specific level with at least SHRINK_RIDES rides of its own */
  level: ContextLevel;
  /** the weight all rides have in the means above (1 at level all, near 0 for a well-seen pair) */
  topWeight: number;
}

/** A zone's area: its borough, or the airport itself; '' when unknown. */
export function zoneArea(borough: string, zone: string, serviceZone: string): string {
  if (serviceZone === 'Airports' || serviceZone === 'EWR') return zone;
  if (borough === 'Unknown' || borough === 'N/A' || borough === '') return '';
  return borough;
}

export interface BaselineOptions {
  /**
   * The zone map's distance (zoneMap.ts) is the parent of every pair of two different zones on the
   * map, in place of the area pair's, with the map's own residual spread; speed still comes from
   * the area pair.
   */
  zoneMap?: boolean;
}

export interface Baseline {
  /** rides and (ordered) zone pairs behind it */
  rides: number;
  pairs: number;
  /** the zone map the pairs were shrunk towards (options.zoneMap), null without one */
  map: ZoneMap | null;
  /**
   * Over all rides, ln(speed) rises with ln(distance) (long trips take faster roads): the slope, and
   * the mean ln(distance) it pivots on. The part of a reference that comes from all rides
   * (topWeight) expects a ride's speed at the ride's own distance: a first 18 km airport transfer is
   * not judged against the city's 3 km average speed.
   */
  slopeS: number;
  meanD: number;
  /** the reference of a ride between two zones (0 or an unknown id: judged at a coarser level) */
  reference(pickup: number, dropoff: number): Reference;
}

interface Sums {
  n: number;
  d: number;
  s: number;
  dd: number;
  ss: number;
  ds: number;
}

interface Stats {
  n: number;
  meanD: number;
  varD: number;
  meanS: number;
  varS: number;
  /** weight of all rides' mean in this level's means */
  topWeight: number;
}

const noSums = (): Sums => ({ n: 0, d: 0, s: 0, dd: 0, ss: 0, ds: 0 });

/** The baseline of the moments (trailing days, and the day itself when they are few); null when empty. */
export function buildBaseline(moments: PairMoments, areaOf: ReadonlyMap<number, string>, options: BaselineOptions = {}): Baseline | null {
  const area = (zone: number) => (hasZone(zone) ? (areaOf.get(zone) ?? '') : '');
  const areaPairKey = (a: string, b: string) => (a > b ? `${b}\u0000${a}` : `${a}\u0000${b}`);

  const all = noSums();
  const byAreaPair = new Map<string, Sums>();
  const byPair = new Map<number, { sums: Sums; p: number; q: number }>();
  const bucket = <K>(map: Map<K, Sums>, key: K) => {
    let sums = map.get(key);
    if (!sums) map.set(key, (sums = noSums()));
    return sums;
  };
  for (let i = 0; i < moments.pickup.length; i++) {
    const row = sumsOf(moments, i);
    const p = moments.pickup[i];
    const q = moments.dropoff[i];
    const a = area(p);
    const b = area(q);
    add(all, row);
    add(bucket(byAreaPair, areaPairKey(a, b)), row);
    const key = unorderedPairKey(p, q);
    let pair = byPair.get(key);
    if (!pair) byPair.set(key, (pair = { sums: noSums(), p, q }));
    add(pair.sums, row);
  }
  if (all.n === 0) return null;

  const top = shrink(all, null);
  const areaPairs = new Map<string, Stats>();
  for (const [key, sums] of byAreaPair) areaPairs.set(key, shrink(sums, top));
  const areaParent = (p: number, q: number) => areaPairs.get(areaPairKey(area(p), area(q)));
  const map = options.zoneMap ? zoneMapOf(byPair, area) : null;
  const mapParent = map ? mapParentOf(map, byPair, areaParent) : () => undefined;
  const pairs = new Map<number, Stats>();
  for (const [key, { sums, p, q }] of byPair) pairs.set(key, shrink(sums, mapParent(p, q) ?? areaParent(p, q)!));

  const toReference = (stats: Stats, level: ContextLevel): Reference => ({
    meanD: stats.meanD,
    sdD: Math.max(MIN_SD, Math.sqrt(stats.varD)),
    meanS: stats.meanS,
    sdS: Math.max(MIN_SD, Math.sqrt(stats.varS)),
    level,
    topWeight: stats.topWeight,
  });
  const covDS = all.ds / all.n - (all.d / all.n) * (all.s / all.n);
  const slopeS = top.varD > 0 ? covDS / top.varD : 0;
  const cache = new Map<number, Reference>();
  return {
    rides: all.n,
    pairs: moments.pickup.length,
    slopeS,
    meanD: top.meanD,
    map,
    reference(pickup: number, dropoff: number): Reference {
      const key = unorderedPairKey(hasZone(pickup) ? pickup : 0, hasZone(dropoff) ? dropoff : 0);
      const cached = cache.get(key);
      if (cached) return cached;
      const a = area(pickup);
      const b = area(dropoff);
      // the most specific estimate there is, named by the most specific level with rides of its own
      const zoned = hasZone(pickup) && hasZone(dropoff);
      const onMap = zoned ? mapParent(pickup, dropoff) : undefined;
      const candidates: [Stats | undefined, ContextLevel][] = [
        [zoned ? pairs.get(key) : undefined, 'zone_pair'],
        [onMap, 'zone_map'],
        [a !== '' && b !== '' ? areaPairs.get(areaPairKey(a, b)) : undefined, 'area_pair'],
        [top, 'all'],
      ];
      const estimate = candidates.find(([stats]) => stats !== undefined)![0]!;
      // the map has no rides of its own: a pair on it is judged at zone_map below SHRINK_RIDES
      const level = candidates.find(([stats, level]) => stats !== undefined && (level === 'zone_map' || stats.n >= SHRINK_RIDES))?.[1] ?? 'all';
      const reference = toReference(estimate, level);
      cache.set(key, reference);
      return reference;
    },
  };
}

type PairSums = Map<number, { sums: Sums; p: number; q: number }>;

/** A pair's key whatever its direction (byPair pools both directions). */
const unorderedPairKey = (p: number, q: number): number => (p > q ? pairKey(q, p) : pairKey(p, q));

/**
 * The map of the pairs of two different zones (each unordered pair once: byPair pools both
 * directions). Zones of no known area (TLC's 264 and 265, borough "Unknown") have no place.
 */
function zoneMapOf(byPair: PairSums, area: (zone: number) => string): ZoneMap | null {
  const list = [...byPair.values()].filter(({ p, q }) => p !== q && area(p) !== '' && area(q) !== '');
  return fitZoneMap({
    p: Int32Array.from(list, (pair) => pair.p),
    q: Int32Array.from(list, (pair) => pair.q),
    meanD: Float64Array.from(list, (pair) => pair.sums.d / pair.sums.n),
    rides: Float64Array.from(list, (pair) => pair.sums.n),
  });
}

/**
 * The parent of a pair of two different zones on the map: the map's ln(distance), with the spread
 * of the rides about the map's distances (over all pairs on it: a rare pair's own rides are too few
 * to say how far it strays), and the area pair's speed.
 */
function mapParentOf(map: ZoneMap, byPair: PairSums, areaParent: (p: number, q: number) => Stats | undefined) {
  let sq = 0;
  let n = 0;
  for (const { sums, p, q } of byPair.values()) {
    if (p === q) continue;
    const pred = map.predict(p, q);
    if (Number.isNaN(pred)) continue;
    // Σ(x − pred)² over the pair's rides, from its sums
    sq += sums.dd - 2 * pred * sums.d + sums.n * pred * pred;
    n += sums.n;
  }
  const varD = n > 0 ? Math.max(0, sq) / n : 0;
  const cache = new Map<number, Stats | undefined>();
  return (p: number, q: number): Stats | undefined => {
    if (p === q) return undefined;
    const key = unorderedPairKey(p, q);
    if (cache.has(key)) return cache.get(key);
    const pred = map.predict(p, q);
    const area = Number.isNaN(pred) ? undefined : areaParent(p, q);
    const stats = area && { n: 0, meanD: pred, varD, meanS: area.meanS, varS: area.varS, topWeight: area.topWeight };
    cache.set(key, stats);
    return stats;
  };
}

function sumsOf(m: PairMoments, i: number): Sums {
  return {
    n: m.rides[i],
    d: m.sumD[i],
    s: m.sumD[i] - m.sumT[i],
    dd: m.sumDD[i],
    ss: m.sumDD[i] - 2 * m.sumDT[i] + m.sumTT[i],
    ds: m.sumDD[i] - m.sumDT[i],
  };
}

function add(into: Sums, row: Sums): void {
  into.n += row.n;
  into.d += row.d;
  into.s += row.s;
  into.dd += row.dd;
  into.ss += row.ss;
  into.ds += row.ds;
}

/**
 * Mean and variance of the level's rides plus SHRINK_RIDES pseudo-rides drawn from the parent
 * (none at the top): the pseudo-rides add the parent's variance and their distance from the mean.
 */
function shrink(sums: Sums, parent: Stats | null): Stats {
  const k = parent ? SHRINK_RIDES : 0;
  const n = sums.n + k;
  const meanD = (sums.d + (parent ? k * parent.meanD : 0)) / n;
  const meanS = (sums.s + (parent ? k * parent.meanS : 0)) / n;
  // Σ(x − μ)² = Σx² − 2μΣx + nμ², over the level's own rides
  const ownVarD = sums.dd - 2 * meanD * sums.d + sums.n * meanD * meanD;
  const ownVarS = sums.ss - 2 * meanS * sums.s + sums.n * meanS * meanS;
  const varD = (Math.max(0, ownVarD) + (parent ? k * (parent.varD + (parent.meanD - meanD) ** 2) : 0)) / n;
  const varS = (Math.max(0, ownVarS) + (parent ? k * (parent.varS + (parent.meanS - meanS) ** 2) : 0)) / n;
  return { n: sums.n, meanD, varD, meanS, varS, topWeight: parent ? (k / n) * parent.topWeight : 1 };
}
