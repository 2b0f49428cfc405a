// The baseline rides are judged against (issue 11): per service day and zone pair, the moments of
// the rides its latest succeeded run took as normal. A run of day D sums the rows of the trailing
// weeks (compute/context/baseline.ts); a run of D replaces D's rows in its write transaction, so a
// re-run or a crash never leaves a day counted twice or half. Small: at most one row per zone pair
// that had a ride, a few hundred a day for a sample, tens of thousands for a full TLC day.
import type { Knex } from 'knex';
import { grantToReader } from './006_query_reader.js';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table zone_pair_baseline (
      service_date date not null,
      pickup_zone_id smallint not null,
      dropoff_zone_id smallint not null,
      rides integer not null check (rides > 0),
      sum_ln_distance double precision not null,
      sum_ln_duration double precision not null,
      sum_sq_ln_distance double precision not null,
      sum_sq_ln_duration double precision not null,
      sum_ln_distance_duration double precision not null,
      detection_run_id bigint not null references detection_runs (id),
      primary key (service_date, pickup_zone_id, dropoff_zone_id)
    )`);
  await knex.raw(`comment on table zone_pair_baseline is
    'per service day and (pickup, dropoff) zone pair: count and sums of ln(distance_km), ln(duration_min), their squares and product, over the rides the day''s latest succeeded run left unflagged; the baseline of a run is the sum over its trailing days'`);
  await knex.raw(`comment on column zone_pair_baseline.detection_run_id is 'the run that wrote this day''s rows'`);
  // for the reader role of migration 006 (ridescan query)
  await grantToReader(knex, 'zone_pair_baseline');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table zone_pair_baseline');
}
