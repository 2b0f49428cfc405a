// The SQL that touches rides in bulk, in one place. Everything else goes through knex.

/** One service day's rides with their current flags, as binary COPY (see readRidesForDay). */
export const COPY_DAY_RIDES = `COPY (
  select ride_id, distance_km, duration_min, is_outlier, outlier_reason, outlier_score
  from rides where service_date = '%DATE%'::date
) TO STDOUT (FORMAT binary)`;

export const CREATE_FLAG_STAGE = `create temporary table ridescan_flag_stage (
  ride_id text not null,
  is_outlier boolean not null,
  outlier_reason text,
  outlier_score real
) on commit drop`;

export const COPY_FLAG_STAGE = `COPY ridescan_flag_stage FROM STDIN (FORMAT binary)`;

// Only rows whose flag, reason or score changed are staged, so this costs what changed.
export const APPLY_FLAG_STAGE = `update rides r
  set is_outlier = s.is_outlier,
      outlier_reason = s.outlier_reason,
      outlier_score = s.outlier_score,
      detection_run_id = ?
  from ridescan_flag_stage s
  where r.ride_id = s.ride_id and r.service_date = ?`;

// A day's first scoring turns most rides from NULL into plain normal (false, no reason, score 0).
// Staging each of them would cost a COPY and a join of the whole day; this one statement does
// them all. Rides that need anything else are in the stage and left to APPLY_FLAG_STAGE. The
// caller checks the row count: a ride loaded after the day was read must not be marked scored.
export const MARK_UNSCORED_NORMAL = `update rides r
  set is_outlier = false, outlier_reason = null, outlier_score = 0, detection_run_id = ?
  where r.service_date = ? and r.is_outlier is null
    and not exists (select 1 from ridescan_flag_stage s where s.ride_id = r.ride_id)`;

export const CREATE_RIDE_STAGE = `create temporary table ridescan_ride_stage (
  ride_id text not null,
  taxi_id text,
  pickup_local timestamp not null,
  dropoff_local timestamp not null,
  distance_km double precision not null
) on commit drop`;

export const COPY_RIDE_STAGE = `COPY ridescan_ride_stage FROM STDIN (FORMAT binary)`;

// Local wall-clock times become instants in the configured zone; the service day is the local
// date of pickup. Rides already present keep their row (and their flags): loading is idempotent.
export const INSERT_FROM_RIDE_STAGE = `insert into rides (ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date)
  select ride_id, taxi_id, pickup_local at time zone ?, dropoff_local at time zone ?, distance_km, pickup_local::date
  from ridescan_ride_stage
  on conflict (ride_id) do nothing`;

// Per service day with rides: counts, the last run and the last succeeded run.
export const DAY_STATUS = `with days as (
    select service_date, count(*) as rides, count(*) filter (where is_outlier is null) as unscored
    from rides where service_date between :from::date and :to::date
    group by service_date
  ), last_run as (
    select distinct on (service_date) service_date, id, status, started_at, finished_at
    from detection_runs where service_date between :from::date and :to::date
    order by service_date, id desc
  ), last_ok as (
    select service_date, max(id) as id from detection_runs
    where status = 'succeeded' and service_date between :from::date and :to::date
    group by service_date
  )
  select to_char(d.service_date, 'YYYY-MM-DD') as day, d.rides, d.unscored,
    lr.id as last_run_id, lr.status as last_status, lr.started_at as last_started_at,
    lr.finished_at as last_finished_at, lo.id as last_succeeded_run_id
  from days d
  left join last_run lr using (service_date)
  left join last_ok lo using (service_date)
  order by d.service_date`;

// Runs left 'running' by a process of this host that no longer exists.
export const ABANDONED_RUNS = `select id, pid from detection_runs
  where status = 'running' and hostname = ? and pid is not null and pid <> ?`;

// The latest succeeded run's feature summary per day, for the days before :day.
export const TRAILING_SUMMARIES = `select feature_summary from (
    select distinct on (service_date) service_date, feature_summary
    from detection_runs
    where status = 'succeeded' and feature_summary is not null
      and service_date < :day::date and service_date >= :day::date - :days::int
    order by service_date, id desc
  ) latest
  order by service_date`;
