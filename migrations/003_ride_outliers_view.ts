// What the operations team reads every morning: the flagged rides with why, how anomalous, which
// run flagged them and when, and the pickup / dropoff zones by name where the rides carry them.
import type { Knex } from 'knex';

/** The view's query (migration 012 makes the view again over the partitioned rides). */
export const RIDE_OUTLIERS_SQL = `
    select r.service_date,
           r.ride_id,
           r.taxi_id,
           r.pickup_at,
           r.dropoff_at,
           r.distance_km,
           r.duration_min,
           case when r.duration_min > 0 then r.distance_km / (r.duration_min / 60) end as speed_kmh,
           r.outlier_reason,
           r.outlier_score,
           r.detection_run_id,
           run.finished_at as flagged_at,
           r.pickup_zone_id,
           pz.zone as pickup_zone,
           pz.borough as pickup_borough,
           r.dropoff_zone_id,
           dz.zone as dropoff_zone,
           dz.borough as dropoff_borough,
           r.total_amount
    from rides r
    left join detection_runs run on run.id = r.detection_run_id
    left join zones pz on pz.location_id = r.pickup_zone_id
    left join zones dz on dz.location_id = r.dropoff_zone_id
    where r.is_outlier`;
export const RIDE_OUTLIERS_COMMENT = `'rides flagged as outliers: rule flags (invalid_*, non_finite; no score) and DBSCAN flags (noise, small_cluster; score = distance to normal traffic in eps)'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create view ride_outliers as ${RIDE_OUTLIERS_SQL}`);
  await knex.raw(`comment on view ride_outliers is ${RIDE_OUTLIERS_COMMENT}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop view ride_outliers');
}
