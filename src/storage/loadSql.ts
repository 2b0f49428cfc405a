// The SQL of the file load path (rideLoads.ts) and of the stale-day check (staleDays.ts).

// Staged per chunk while a file streams in, inserted into rides and truncated; the stage lives
// as long as the file's transaction. Whole-number fields travel as float8 (the binary COPY
// writer's number type) and are cast on insert; the readers have checked they are whole.
export const CREATE_LOAD_STAGE = `create temporary table ridescan_load_stage (
  ride_id text not null,
  taxi_id text,
  pickup_local timestamp,
  dropoff_local timestamp,
  pickup_at timestamptz,
  dropoff_at timestamptz,
  distance_km double precision not null,
  trip_distance_mi double precision,
  vendor_id double precision,
  passenger_count double precision,
  ratecode_id double precision,
  store_and_fwd_flag text,
  pickup_zone_id double precision,
  dropoff_zone_id double precision,
  payment_type double precision,
  trip_type double precision,
  fare_amount double precision,
  extra double precision,
  mta_tax double precision,
  tip_amount double precision,
  tolls_amount double precision,
  ehail_fee double precision,
  improvement_surcharge double precision,
  congestion_surcharge double precision,
  airport_fee double precision,
  total_amount double precision
) on commit drop`;

/** Columns of the stage, in COPY order (the writer in rideLoads.ts follows it). */
export const LOAD_STAGE_COLUMNS = 26;

export const COPY_LOAD_STAGE = `COPY ridescan_load_stage FROM STDIN (FORMAT binary)`;

export const TRUNCATE_LOAD_STAGE = `truncate ridescan_load_stage`;

// A time is either an instant (the file gave an offset) or a wall-clock time in the file's source
// zone (TLC: New York). The service day is the local date of pickup in the configured zone.
// Fares go through numeric: float8 → numeric keeps 15 significant digits, so 8.3 stays 8.3.
// Rides whose id exists (or came earlier in the file) are skipped; the caller counts them.
// Bindings: source zone ×2, service zone, source, load id.
export const INSERT_FROM_LOAD_STAGE = `with inserted as (
  insert into rides (
    ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date, source, load_id,
    trip_distance_mi, vendor_id, passenger_count, ratecode_id, store_and_fwd_flag,
    pickup_zone_id, dropoff_zone_id, payment_type, trip_type,
    fare_amount, extra, mta_tax, tip_amount, tolls_amount, ehail_fee,
    improvement_surcharge, congestion_surcharge, airport_fee, total_amount)
  select s.ride_id, s.taxi_id, t.pickup_at, t.dropoff_at, s.distance_km,
    (t.pickup_at at time zone ?)::date, ?, ?,
    s.trip_distance_mi, s.vendor_id::smallint, s.passenger_count::smallint, s.ratecode_id::smallint,
    s.store_and_fwd_flag, s.pickup_zone_id::smallint, s.dropoff_zone_id::smallint,
    s.payment_type::smallint, s.trip_type::smallint,
    s.fare_amount::numeric, s.extra::numeric, s.mta_tax::numeric, s.tip_amount::numeric,
    s.tolls_amount::numeric, s.ehail_fee::numeric, s.improvement_surcharge::numeric,
    s.congestion_surcharge::numeric, s.airport_fee::numeric, s.total_amount::numeric
  from ridescan_load_stage s
  cross join lateral (
    select coalesce(s.pickup_at, s.pickup_local at time zone ?) as pickup_at,
           coalesce(s.dropoff_at, s.dropoff_local at time zone ?) as dropoff_at
  ) t
  on conflict (ride_id) do nothing
  returning service_date
)
select to_char(service_date, 'YYYY-MM-DD') as day, count(*)::integer as rides
from inserted group by service_date`;

// Of the given days, those a succeeded detection run has scored: new rides make them stale.
export const SCORED_DAYS = `select to_char(service_date, 'YYYY-MM-DD') as day, max(id) as last_run_id
  from detection_runs
  where status = 'succeeded' and service_date = any(?::date[])
  group by service_date`;

// A day is stale when a succeeded run scored it and it has rides no run has scored since: every
// run writes a flag on each ride it read, so an unscored ride came in after the run's snapshot.
// Reads the rides of every scored day in the range through rides_service_date: pass a range.
// Bindings: from, to (ISO dates; open ends are '-infinity' / 'infinity').
export const STALE_DAYS = `with scored as (
  select service_date, max(id) as last_run_id, max(finished_at) as last_scored_at
  from detection_runs
  where status = 'succeeded' and service_date between ?::date and ?::date
  group by service_date
)
select to_char(s.service_date, 'YYYY-MM-DD') as day, s.last_run_id, s.last_scored_at, u.unscored
from scored s
cross join lateral (
  select count(*)::integer as unscored from rides r
  where r.service_date = s.service_date and r.is_outlier is null
) u
where u.unscored > 0
order by s.service_date`;
