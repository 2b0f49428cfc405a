// The SQL of the file load path (rideLoads.ts) and of the stale-day check (staleDays.ts).


/** Column order of RideCopyRows (rideCopyRows.ts). */
export const COPY_RIDES = `COPY rides (
  ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date, source, load_id,
  trip_distance_mi, vendor_id, passenger_count, ratecode_id, store_and_fwd_flag,
  pickup_zone_id, dropoff_zone_id, payment_type, trip_type,
  fare_amount, extra, mta_tax, tip_amount, tolls_amount, ehail_fee,
  improvement_surcharge, congestion_surcharge, airport_fee, total_amount
) FROM STDIN (FORMAT binary)`;

/** More rows than this from PRESENT_IN_RANGE and the batch asks by id instead. */
export const PRESENT_IN_RANGE_LIMIT = 100_000;

// Bindings: lowest and highest id of the batch.
export const PRESENT_IN_RANGE = `select ride_id from rides where ride_id between ? and ? limit ${PRESENT_IN_RANGE_LIMIT + 1}`;

// Binding: the batch's ids as a PostgreSQL array literal.
export const PRESENT_AMONG = `select ride_id from rides where ride_id = any(?::text[])`;

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
