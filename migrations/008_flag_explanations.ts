// Each flag explains itself: for every flagged ride, what a ride of its kind looked like that day
// and how far it is from that. "Its kind" is its distance band (< 1, 1-2, 2-5, 5-10, 10-20,
// 20-50, 50+ km): the expected distance and duration are the medians of the day's normal rides in
// the same band (of all the day's normal rides when the band has none). A view, computed when
// read, so that it needs nothing stored at scoring time and is right for every day already
// scored; a query on one day groups only that day's normal rides (the service_date condition
// reaches the grouped subqueries: measured 140-200 ms for the 900 flags of the 22,775-ride TLC
// sample day on PGlite, warm).
//
// The nearest normal ride in the feature space is not named: its distance is the ride's
// outlier_score already (to the nearest core ride of normal traffic, in eps), shown here as
// eps_from_normal; naming that ride would need the detector to return which core it was.
import type { Knex } from 'knex';
import { grantToReader } from './006_query_reader.js';

export const FLAG_EXPLANATIONS_VIEW = 'ride_flag_explanations';

// upper bounds of the distance bands, km; width_bucket gives 0 below the first, 6 from the last
// (exported: migration 011 keeps the bands as the fallback of its zone-pair expectation)
export const BANDS = 'array[1, 2, 5, 10, 20, 50]::float8[]';
export const BAND_LABELS = `array['< 1 km', '1-2 km', '2-5 km', '5-10 km', '10-20 km', '20-50 km', '50 km and more']`;

/** The day's normal rides, typical by distance band and over the whole day (also migration 011's). */
export const TYPICAL_CTES = `band_typical as (
      select service_date, width_bucket(distance_km, ${BANDS}) as band, count(*) as normal_rides,
             percentile_cont(0.5) within group (order by distance_km) as distance_km,
             percentile_cont(0.5) within group (order by duration_min) as duration_min
      from rides where is_outlier = false
      group by service_date, width_bucket(distance_km, ${BANDS})
    ), day_typical as (
      select service_date, count(*) as normal_rides,
             percentile_cont(0.5) within group (order by distance_km) as distance_km,
             percentile_cont(0.5) within group (order by duration_min) as duration_min
      from rides where is_outlier = false
      group by service_date
    )`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create view ${FLAG_EXPLANATIONS_VIEW} as
    with ${TYPICAL_CTES}, explained as (
      select r.service_date, r.ride_id, r.taxi_id, r.pickup_zone_id, r.pickup_at, r.outlier_reason, r.outlier_score,
             r.distance_km, r.duration_min,
             case when r.duration_min > 0 then r.distance_km / (r.duration_min / 60) end as speed_kmh,
             (${BAND_LABELS})[width_bucket(r.distance_km, ${BANDS}) + 1] as distance_band,
             case when b.normal_rides is not null then 'normal rides of the day in its distance band'
                  when d.normal_rides is not null then 'all normal rides of the day (none in its distance band)'
             end as expected_from,
             coalesce(b.normal_rides, d.normal_rides) as expected_from_rides,
             coalesce(b.distance_km, d.distance_km) as expected_distance_km,
             coalesce(b.duration_min, d.duration_min) as expected_duration_min
      from rides r
      left join band_typical b on b.service_date = r.service_date and b.band = width_bucket(r.distance_km, ${BANDS})
      left join day_typical d on d.service_date = r.service_date
      where r.is_outlier
    )
    select service_date, ride_id, taxi_id, pickup_zone_id, pickup_at, outlier_reason, outlier_score,
           distance_km, duration_min, speed_kmh, distance_band, expected_from, expected_from_rides,
           expected_distance_km, expected_duration_min,
           case when expected_duration_min > 0 then expected_distance_km / (expected_duration_min / 60) end as expected_speed_kmh,
           distance_km - expected_distance_km as distance_excess_km,
           duration_min - expected_duration_min as duration_excess_min,
           case when expected_distance_km > 0 then distance_km / expected_distance_km end as distance_ratio,
           case when expected_duration_min > 0 then duration_min / expected_duration_min end as duration_ratio,
           outlier_score as eps_from_normal
    from explained`);
  await knex.raw(`comment on view ${FLAG_EXPLANATIONS_VIEW} is
    'every flagged ride with what was expected of it: the median distance and duration of the day''s normal rides in its distance band (of all normal rides of the day when the band has none), and how far it is from them'`);
  // The reader role of migration 006, when the migrating user could create it.
  await grantToReader(knex, FLAG_EXPLANATIONS_VIEW);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop view ${FLAG_EXPLANATIONS_VIEW}`);
}
