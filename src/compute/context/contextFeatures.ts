// The features of rides judged against their zone pair's baseline: how many of the pair's standard
// deviations a ride's ln(distance) lies from the pair's mean, and how far its ln(speed) lies from the
// pair's mean speed. DBSCAN then clusters these as it clusters the day-level features: the
// clustering is the same, only what the features are relative to changes.
//
// Speed is not divided by the pair's spread: a meter left running (speed / 4–8) is the same fault in
// any pair, and pairs with a wide spread of speeds (short trips within a zone) hid it. Measured with
// `evaluate --scenario tlc`: meter_running recall 0.74 → 1.00 on the 22.8k-ride January 2021 day,
// 0.86 → 0.94 on the 2019 months, at fewer real trips flagged. Distance keeps its per-pair spread:
// within a zone trips run from 0.3 to 3 km, between two airports they do not. The part of a
// pair's expected speed that comes from all rides (a rarely seen pair) is taken at the ride's own
// distance (baseline.slopeS): airport trips flagged 3.8% → 3.3% on the 2019 months, the rest equal.
//
// Shorter than usual is compressed (z → −ln(1 − z) below 0): a ride shorter than its pair's usual
// costs the rider and the company nothing, and trips between neighbouring zones can be very short.
//
// Speed depends on the hour as much as on the pair (the 2019 sample: ln speed 0.5 above the mean at
// 5 am, 0.15 below it through the working day), so with pickup hours the speed residual is taken
// after each hour's mean residual: the trailing (reference) rides' for them, and for the day's own
// rides that shifted by the day's own level and hours, shrunk to the trailing weeks' (a Sunday is
// faster than the weeks' weekdays at the same hour).
import type { Baseline, ContextLevel } from './baseline.js';

export const CONTEXT_FEATURE_NAMES: [string, string] = ['distance_z_in_zone_pair', 'log_speed_vs_zone_pair'];

/** pseudo-rides at 0 each hour's mean residual starts from */
const HOUR_SHRINK_RIDES = 20;
/** pseudo-rides at the trailing weeks' level the day's own speed level starts from */
const DAY_SHRINK_RIDES = 20;

/**
 * Per hour, the mean of b[i] − base[hour] − shift over rides from..to, with HOUR_SHRINK_RIDES
 * pseudo-rides at 0 (base null: 0).
 */
function hourMeans(b: Float64Array, hour: Uint8Array, from: number, to: number, base: Float64Array | null, shift: number): Float64Array {
  const sum = new Float64Array(24);
  const count = new Float64Array(24);
  for (let i = from; i < to; i++) {
    const h = hour[i];
    if (h < 24) {
      sum[h] += b[i] - (base ? base[h] : 0) - shift;
      count[h]++;
    }
  }
  return sum.map((s, h) => s / (count[h] + HOUR_SHRINK_RIDES));
}

export interface ContextFeatures {
  a: Float64Array;
  /** ln-speed residual from the pair's mean speed (less the hour's), in ln units */
  b: Float64Array;
  /** the first `counted` rides by the level they were judged at */
  levels: Record<ContextLevel, number>;
  /** mean ln-speed residual per pickup hour (0–23) that was taken out; null without hours */
  hourEffect: number[] | null;
}

/** Rides with a distance > 0 and a duration > 0 (the rules see to that). Hours 0–23, or 255 unknown. */
export function contextFeatures(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  pickupZone: Int16Array,
  dropoffZone: Int16Array,
  baseline: Baseline,
  counted = distanceKm.length,
  pickupHour: Uint8Array | null = null,
  /** the day's own speed level and hours, shrunk to the trailing rides' (context 'zone_map') */
  dayLevel = false,
): ContextFeatures {
  const n = distanceKm.length;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const levels: Record<ContextLevel, number> = { zone_pair: 0, zone_map: 0, area_pair: 0, all: 0 };
  for (let i = 0; i < n; i++) {
    const ref = baseline.reference(pickupZone[i], dropoffZone[i]);
    if (i < counted) levels[ref.level]++;
    const ld = Math.log(distanceKm[i]);
    const zd = (ld - ref.meanD) / ref.sdD;
    a[i] = zd >= 0 ? zd : -Math.log1p(-zd);
    b[i] = ld - Math.log(durationMin[i]) - ref.meanS - ref.topWeight * baseline.slopeS * (ld - baseline.meanD);
  }
  let hourEffect: number[] | null = null;
  if (pickupHour) {
    // the trailing rides' hour effect (all rides' when there are none: a day large enough alone)
    const from = dayLevel && counted < n ? counted : 0;
    const trailing = hourMeans(b, pickupHour, from, n, null, 0);
    for (let i = counted; i < n; i++) if (pickupHour[i] < 24) b[i] -= trailing[pickupHour[i]];
    if (from === 0) {
      hourEffect = Array.from(trailing);
      for (let i = 0; i < counted; i++) if (pickupHour[i] < 24) b[i] -= trailing[pickupHour[i]];
    } else {
      // The day's own speed level, shrunk to the trailing weeks': a whole-day shift, then each
      // hour's. Sundays and holidays run 0.2–0.45 faster in ln speed than weekdays, and a wet
      // weekday slower; against the trailing weeks' (mostly weekday) hours alone, a fast Sunday's
      // ordinary rides and a slow day's ordinary crawls were what made the day's flags (the highest
      // day of the 2019 months had 3.3 times the median day's flag rate).
      let shift = 0;
      let count = 0;
      for (let i = 0; i < counted; i++) {
        if (pickupHour[i] < 24) {
          shift += b[i] - trailing[pickupHour[i]];
          count++;
        }
      }
      shift /= count + DAY_SHRINK_RIDES;
      const own = hourMeans(b, pickupHour, 0, counted, trailing, shift);
      hourEffect = Array.from(own, (v, h) => trailing[h] + shift + v);
      for (let i = 0; i < counted; i++) if (pickupHour[i] < 24) b[i] -= hourEffect[pickupHour[i]];
    }
  }
  return { a, b, levels, hourEffect };
}
