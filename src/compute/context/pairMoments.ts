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
  const sums = new PairSums();
  for (let i = 0; i < distanceKm.length; i++) {
    const p = pickupZone[i];
    const q = dropoffZone[i];
    const d = distanceKm[i];
    const t = durationMin[i];
    if (include[i] !== 1 || !hasZone(p) || !hasZone(q) || !(d > 0) || !(t > 0)) continue;
    const ld = Math.log(d);
    const lt = Math.log(t);
    sums.add(pairKey(p, q), [1, ld, lt, ld * ld, lt * lt, ld * lt]);
  }
  return sums.columns();
}

/** Rows of both, pairs present in both summed. */
export function addMoments(a: PairMoments, b: PairMoments): PairMoments {
  const sums = new PairSums();
  for (const m of [a, b]) {
    for (let i = 0; i < m.pickup.length; i++) sums.add(pairKey(m.pickup[i], m.dropoff[i]), MOMENT_FIELDS.map((field) => m[field][i]));
  }
  return sums.columns();
}

/** Sums of MOMENT_FIELDS by pair key, in the order pairs were first seen. */
class PairSums {
  private readonly index = new Map<number, number>();
  private readonly keys: number[] = [];
  private readonly rows: number[][] = [];

  add(key: number, values: number[]): void {
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.keys.length;
      this.index.set(key, slot);
      this.keys.push(key);
      this.rows.push(new Array<number>(MOMENT_FIELDS.length).fill(0));
    }
    const row = this.rows[slot];
    for (let f = 0; f < values.length; f++) row[f] += values[f];
  }

  columns(): PairMoments {
    return fromRows(this.keys, this.rows);
  }
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
