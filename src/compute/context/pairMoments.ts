// What the baseline keeps of a day: per (pickup zone, dropoff zone) pair, the count and the first and
// second moments of ln(distance) and ln(duration) of the rides taken as normal. Sums rather than
// medians, because sums add up: the baseline of a run is the sum of its trailing days' rows, one
// grouped query over a small table instead of a re-read of weeks of rides.

export interface PairMoments {
  pickup: Int16Array;
  dropoff: Int16Array;
  rides: Float64Array;
  /** Σ ln(distance km) */
  sumD: Float64Array;
  /** Σ ln(duration min) */
  sumT: Float64Array;
  sumDD: Float64Array;
  sumTT: Float64Array;
  sumDT: Float64Array;
}

export const MOMENT_FIELDS = ['rides', 'sumD', 'sumT', 'sumDD', 'sumTT', 'sumDT'] as const;

export function emptyMoments(n = 0): PairMoments {
  return {
    pickup: new Int16Array(n),
    dropoff: new Int16Array(n),
    rides: new Float64Array(n),
    sumD: new Float64Array(n),
    sumT: new Float64Array(n),
    sumDD: new Float64Array(n),
    sumTT: new Float64Array(n),
    sumDT: new Float64Array(n),
  };
}

/** zone ids are TLC LocationIDs (1–265); anything else (0 = none) is no zone */
export function hasZone(zone: number): boolean {
  return zone > 0 && zone < 512;
}

export const pairKey = (pickup: number, dropoff: number): number => pickup * 512 + dropoff;

/**
 * The day's moments by zone pair, over the rides with `include[i] === 1`, both zones known and a
 * distance and duration above 0 (logs of both are finite).
 */
export function dayPairMoments(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  include: Uint8Array,
  pickupZone: Int16Array,
  dropoffZone: Int16Array,
): PairMoments {
  const index = new Map<number, number>();
  const keys: number[] = [];
  const acc: number[][] = [];
  for (let i = 0; i < distanceKm.length; i++) {
    const p = pickupZone[i];
    const q = dropoffZone[i];
    const d = distanceKm[i];
    const t = durationMin[i];
    if (include[i] !== 1 || !hasZone(p) || !hasZone(q) || !(d > 0) || !(t > 0)) continue;
    const key = pairKey(p, q);
    let slot = index.get(key);
    if (slot === undefined) {
      slot = keys.length;
      index.set(key, slot);
      keys.push(key);
      acc.push([0, 0, 0, 0, 0, 0]);
    }
    const a = acc[slot];
    const ld = Math.log(d);
    const lt = Math.log(t);
    a[0] += 1;
    a[1] += ld;
    a[2] += lt;
    a[3] += ld * ld;
    a[4] += lt * lt;
    a[5] += ld * lt;
  }
  return fromRows(keys, acc);
}

/** Rows of both, pairs present in both summed. */
export function addMoments(a: PairMoments, b: PairMoments): PairMoments {
  const index = new Map<number, number>();
  const rows: number[][] = [];
  const keys: number[] = [];
  for (const m of [a, b]) {
    for (let i = 0; i < m.pickup.length; i++) {
      const key = pairKey(m.pickup[i], m.dropoff[i]);
      let slot = index.get(key);
      if (slot === undefined) {
        slot = keys.length;
        index.set(key, slot);
        keys.push(key);
        rows.push([0, 0, 0, 0, 0, 0]);
      }
      const r = rows[slot];
      MOMENT_FIELDS.forEach((field, f) => (r[f] += m[field][i]));
    }
  }
  return fromRows(keys, rows);
}

/** Columns from pair keys and their rows of MOMENT_FIELDS, in that order. */
function fromRows(keys: number[], rows: number[][]): PairMoments {
  const out = emptyMoments(keys.length);
  for (let s = 0; s < keys.length; s++) {
    out.pickup[s] = Math.floor(keys[s] / 512);
    out.dropoff[s] = keys[s] % 512;
    MOMENT_FIELDS.forEach((field, f) => (out[field][s] = rows[s][f]));
  }
  return out;
}

export function totalRides(m: PairMoments): number {
  let n = 0;
  for (let i = 0; i < m.rides.length; i++) n += m.rides[i];
  return n;
}
