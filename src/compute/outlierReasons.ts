// The reasons a ride is flagged. Codes index this list from 1; 0 means not an outlier.
export const OUTLIER_REASONS = [
  'noise', // DBSCAN noise: not within eps of any core ride
  'small_cluster', // member of a cluster holding less than min-cluster-share of the day
  'invalid_duration', // dropoff at or before pickup
  'invalid_distance', // negative distance
  'non_finite', // distance or duration is NaN or infinite
] as const;

export type OutlierReason = (typeof OUTLIER_REASONS)[number];

export function reasonCode(reason: OutlierReason): number {
  return OUTLIER_REASONS.indexOf(reason) + 1;
}
