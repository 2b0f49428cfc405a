// The two features a day's rides are clustered on, before standard scaling.
//
// distance_duration: the book's (distance km, duration min). Normal rides form a wedge that widens with
//   distance (duration = distance / speed), so its density falls along the wedge and anomalies near the
//   origin sit inside it.
// distance_log_speed: (distance km, ln(1 + implied speed km/h)). Speed is what the anomalies differ in;
//   normal rides have the same spread of it at every distance, and on a log scale a speed twice the
//   usual is as far out as half of it. ln(1 + ·) keeps a zero-distance ride finite.
// asinh_distance_log_speed: (asinh(distance / the day's median distance), ln(1 + speed)). asinh is
//   linear below the median distance and logarithmic above it, so a real day's long tail of legitimate
//   long trips (airport runs) is not sparse enough to be flagged wholesale, while short rides are not
//   stretched apart as a plain log would.
import { quantileAtRank } from '../compute_util.js';

export const FEATURE_SETS = ['distance_duration', 'distance_log_speed', 'asinh_distance_log_speed'] as const;
export type FeatureSet = (typeof FEATURE_SETS)[number];

export interface RideFeatures {
  a: Float64Array;
  b: Float64Array;
  names: [string, string];
  /** asinh_distance_log_speed: the day's median distance the distances were divided by, km */
  distanceScaleKm?: number;
}

/** Features of rides with a finite distance >= 0 and a finite duration > 0 (the rules see to that). */
export function rideFeatures(set: FeatureSet, distanceKm: Float64Array, durationMin: Float64Array): RideFeatures {
  if (set === 'distance_duration') return { a: distanceKm, b: durationMin, names: ['distance_km', 'duration_min'] };
  if (set !== 'distance_log_speed' && set !== 'asinh_distance_log_speed') throw new RangeError(`unknown feature set ${String(set)}`);
  const n = distanceKm.length;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.log1p((distanceKm[i] * 60) / durationMin[i]);
  if (set === 'distance_log_speed') return { a: distanceKm, b, names: ['distance_km', 'log1p_speed_kmh'] };
  const scale = n > 0 ? Math.max(quantileAtRank(distanceKm, 0.5), 1e-3) : 1;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.asinh(distanceKm[i] / scale);
  return { a, b, names: ['asinh_distance_per_median', 'log1p_speed_kmh'], distanceScaleKm: scale };
}
