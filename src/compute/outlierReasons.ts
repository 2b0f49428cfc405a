// The reasons a ride is flagged. Codes index this list from 1; 0 means not an outlier.
// Append only: stored codes and reason names must keep their meaning.
export const OUTLIER_REASONS = [
  'noise', // DBSCAN noise: not within eps of any core ride
  'small_cluster', // member of a cluster holding less than min-cluster-share of the day
  'invalid_duration', // dropoff at or before pickup
  'invalid_distance', // negative distance
  'non_finite', // distance or duration is NaN or infinite
  'speed_limit', // implied speed above the limit (default 150 km/h)
  'duration_limit', // longer than the limit (default 4 h) for a trip shorter than the long-trip distance (default 100 km)
  'zero_distance', // zero distance with a duration above the limit (default 10 min)
  'kmeans_distance', // k-means: among the contamination share of rides farthest from their centroid
  'no_trip', // a no-trip record: (near) zero distance within the zero-distance duration limit (default under 0.1 km, 10 min)
  'void_fare', // a voided or reversed charge: negative fare, or TLC payment type 6 (voided trip)
] as const;

export type OutlierReason = (typeof OUTLIER_REASONS)[number];

export function reasonCode(reason: OutlierReason): number {
  return OUTLIER_REASONS.indexOf(reason) + 1;
}

/** The reasons that rules give, before and apart from any clustering. */
export const RULE_REASONS: readonly OutlierReason[] = [
  'invalid_duration',
  'invalid_distance',
  'non_finite',
  'speed_limit',
  'duration_limit',
  'zero_distance',
  'no_trip',
  'void_fare',
];
