// A flag explained by what the detector compared it with. Since the context detector (migration
// 010) a TLC ride is judged against its zone pair's trailing baseline, not the day's rides of its
// distance band, so for a flagged ride with both zones whose pair has baseline rows in the 84 days
// (EXPLANATION_BASELINE_DAYS) before its service day (both directions pooled, as the detector pools
// them), the expectation is the pair's geometric mean distance and duration, exp(Σ ln x / n), from those
// rows. Every other flagged ride (company rides, zones unknown, a pair never seen normal in the
// window, the first scored day) keeps migration 008's band medians, which expected_from names.
//
// dropoff_zone_id is appended (create or replace appends only); the zones' names are left to a join
// with zones (or ride_outliers): a view on zones would go with it where zones is dropped.
//
// Not the detector's exact reference: the detector shrinks a sparse pair towards its area pair and
// judges ln(speed) after an hour effect, and a run may be asked for other --baseline-days. The
// geometric means are what the pair's normal trips were, which is what the team asks of a flag.
//
// Fast for one day: each flagged ride sums its pair's rows through an index on (pickup, dropoff,
// day), the service_date condition inside the lookup; the primary key leads with the day, so a
// lookup by it reads every pair of the 84 days for each flagged ride. Measured, warm, EXPLAIN
// ANALYZE of one day's query: the TLC sample (856 flags of 2021-01-01, no trailing rows: all by
// band) and its copy a day later, 2021-01-02 (878 flags, 713 by zone pair):
//   one trailing day: PGlite 120 ms (01-01), 95 ms (01-02); server (PostgreSQL 15) 35 ms, 37 ms;
//   84 trailing days (01-01's rows copied back, 386,493 rows): PGlite 315 ms and 305 ms, server
//   120 ms and 120 ms; by the primary key alone PGlite 670 ms and the server 11.7 s (a nested
//   loop of range scans over all pairs) for either day.
import type { Knex } from 'knex';
import { grantToReader } from './006_query_reader.js';
import * as m008 from './008_flag_explanations.js';
import { BANDS, BAND_LABELS, TYPICAL_CTES, FLAG_EXPLANATIONS_VIEW } from './008_flag_explanations.js';

/** the window the expectation is taken over: the default detector's baselineDays */
export const EXPLANATION_BASELINE_DAYS = 84;
/** the baseline by pair and day: what a flagged ride's lookup needs (the primary key leads with the day) */
export const PAIR_INDEX = 'zone_pair_baseline_pair_day';
export const ZONE_PAIR_EXPECTED_FROM = `trips between its two zones in the trailing ${EXPLANATION_BASELINE_DAYS} days`;

// The pair's rows of the trailing days, both directions (one when pickup and dropoff are one zone):
// two range scans of PAIR_INDEX per flagged ride, the service_date condition inside them.
const PAIR_BASELINE = `
        select sum(z.rides) as rides, sum(z.sum_ln_distance) as ln_distance, sum(z.sum_ln_duration) as ln_duration
        from zone_pair_baseline z
        where r.pickup_zone_id is not null and r.dropoff_zone_id is not null
          and ((z.pickup_zone_id = r.pickup_zone_id and z.dropoff_zone_id = r.dropoff_zone_id)
               or (z.pickup_zone_id = r.dropoff_zone_id and z.dropoff_zone_id = r.pickup_zone_id))
          and z.service_date >= r.service_date - ${EXPLANATION_BASELINE_DAYS} and z.service_date < r.service_date`;

export const VIEW_SQL = `
    with ${TYPICAL_CTES}, explained as (
      select r.service_date, r.ride_id, r.taxi_id, r.pickup_zone_id, r.pickup_at, r.outlier_reason, r.outlier_score,
             r.distance_km, r.duration_min,
             case when r.duration_min > 0 then r.distance_km / (r.duration_min / 60) end as speed_kmh,
             (${BAND_LABELS})[width_bucket(r.distance_km, ${BANDS}) + 1] as distance_band,
             case when zp.rides is not null then '${ZONE_PAIR_EXPECTED_FROM}'
                  when b.normal_rides is not null then 'normal rides of the day in its distance band'
                  when d.normal_rides is not null then 'all normal rides of the day (none in its distance band)'
             end as expected_from,
             coalesce(zp.rides, b.normal_rides, d.normal_rides) as expected_from_rides,
             coalesce(exp(zp.ln_distance / zp.rides), b.distance_km, d.distance_km) as expected_distance_km,
             coalesce(exp(zp.ln_duration / zp.rides), b.duration_min, d.duration_min) as expected_duration_min,
             r.dropoff_zone_id
      from rides r
      left join lateral (${PAIR_BASELINE}
      ) zp on true
      left join band_typical b on b.service_date = r.service_date and b.band = width_bucket(r.distance_km, ${BANDS})
      left join day_typical d on d.service_date = r.service_date
      where r.is_outlier
    )
    select e.service_date, e.ride_id, e.taxi_id, e.pickup_zone_id, e.pickup_at, e.outlier_reason, e.outlier_score,
           e.distance_km, e.duration_min, e.speed_kmh, e.distance_band, e.expected_from, e.expected_from_rides,
           e.expected_distance_km, e.expected_duration_min,
           case when e.expected_duration_min > 0 then e.expected_distance_km / (e.expected_duration_min / 60) end as expected_speed_kmh,
           e.distance_km - e.expected_distance_km as distance_excess_km,
           e.duration_min - e.expected_duration_min as duration_excess_min,
           case when e.expected_distance_km > 0 then e.distance_km / e.expected_distance_km end as distance_ratio,
           case when e.expected_duration_min > 0 then e.duration_min / e.expected_duration_min end as duration_ratio,
           e.outlier_score as eps_from_normal,
           e.dropoff_zone_id
    from explained e`;

/** the view's comment (migration 012 makes the view again over the partitioned rides) */
export const VIEW_COMMENT = `'every flagged ride with what was expected of it: for a ride between two zones with trips between them in the trailing ${EXPLANATION_BASELINE_DAYS} days'' zone-pair baseline, their geometric mean distance and duration; otherwise the median distance and duration of the day''s normal rides in its distance band (of all normal rides of the day when the band has none); and how far it is from them'`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create index ${PAIR_INDEX} on zone_pair_baseline (pickup_zone_id, dropoff_zone_id, service_date)`);
  // replace, not drop and create: a reader's grant and any view built on this one stay
  await knex.raw(`create or replace view ${FLAG_EXPLANATIONS_VIEW} as ${VIEW_SQL}`);
  await knex.raw(`comment on view ${FLAG_EXPLANATIONS_VIEW} is ${VIEW_COMMENT}`);
  // The reader role of migration 006, when the migrating user could create it (as 008 grants it).
  await grantToReader(knex, FLAG_EXPLANATIONS_VIEW);
}

// 008's view has fewer columns, which create or replace cannot do: dropped and made again by 008.
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop view ${FLAG_EXPLANATIONS_VIEW}`);
  await m008.up(knex);
  await knex.raw(`drop index ${PAIR_INDEX}`);
}
