// Read-side queries over the flags, as the operations team would write them.
import type { Database } from './database.js';

export interface FlaggedRide {
  ride_id: string;
  taxi_id: string | null;
  distance_km: number;
  duration_min: number;
  outlier_reason: string;
  outlier_score: number | null;
}

/** The day's outliers, rule flags first (no score), then by score. */
export async function topOutliers(db: Database, serviceDate: string, limit: number): Promise<FlaggedRide[]> {
  return db.knex('rides')
    .select('ride_id', 'taxi_id', 'distance_km', 'duration_min', 'outlier_reason', 'outlier_score')
    .where({ service_date: serviceDate, is_outlier: true })
    .orderByRaw('outlier_score desc nulls first, ride_id')
    .limit(limit);
}
