// The analysis table the operations team queries, and the run history.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table detection_runs (
      id bigint generated always as identity primary key,
      service_date date not null,
      status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
      trigger text not null,
      algorithm text not null,
      parameters jsonb not null,
      scaler jsonb,
      tensor_backend text,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      rides_scored integer,
      outliers integer,
      outliers_by_reason jsonb,
      clusters jsonb,
      flags_written integer,
      timings jsonb,
      error text,
      hostname text,
      pid integer
    )`);
  await knex.raw(`create index detection_runs_day on detection_runs (service_date, started_at desc)`);

  // fillfactor 50 leaves room on each page for a new version of every row, so that writing a
  // day's flags (no indexed column changes) is a HOT update: no index entries to add. Measured on
  // 1M rides: the day's first scoring UPDATE took 4.1 s at fillfactor 50 against 7.6 s at 100.
  await knex.raw(`
    create table rides (
      ride_id text primary key,
      taxi_id text,
      pickup_at timestamptz not null,
      dropoff_at timestamptz not null,
      distance_km double precision not null,
      duration_min double precision generated always as
        (extract(epoch from (dropoff_at - pickup_at))::double precision / 60) stored,
      service_date date not null,
      loaded_at timestamptz not null default now(),
      is_outlier boolean,
      outlier_reason text,
      outlier_score real,
      detection_run_id bigint
    ) with (fillfactor = 50)`);
  await knex.raw(`create index rides_service_date on rides (service_date)`);
  await knex.raw(`comment on column rides.is_outlier is
    'NULL = not scored yet, false = scored and normal, true = outlier'`);
  await knex.raw(`comment on column rides.outlier_score is
    'distance to the nearest core ride of a normal cluster, in units of eps (0 = core of normal traffic, <= 1 = border, > 1 = outside); NULL for rides flagged by rule'`);
  await knex.raw(`comment on column rides.detection_run_id is
    'the run that last changed this ride''s flag, reason or score (the latest run of the day is in detection_runs)'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table rides');
  await knex.raw('drop table detection_runs');
}
