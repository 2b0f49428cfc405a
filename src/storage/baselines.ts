// The zone-pair baseline (migration 010) and the trailing rides a day is clustered with: what a run
// reads besides its day, and what it leaves for the runs after it.
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { emptyMoments, type PairMoments } from '../compute/context/pairMoments.js';
import type { DetectionInputs } from '../compute/detectOutliers.js';
import { parseBinaryCopy } from './binaryCopy.js';
import { localHourColumn, localHours, zoneIds } from './rides.js';

// The trailing days' rows summed by pair: one grouped scan of a small table.
const TRAILING_PAIR_MOMENTS = `select pickup_zone_id, dropoff_zone_id, sum(rides)::float8 as rides,
    sum(sum_ln_distance) as d, sum(sum_ln_duration) as t, sum(sum_sq_ln_distance) as dd,
    sum(sum_sq_ln_duration) as tt, sum(sum_ln_distance_duration) as dt
  from zone_pair_baseline
  where service_date < :day::date and service_date >= :day::date - :days::int
  group by pickup_zone_id, dropoff_zone_id`;

const TRAILING_DAYS = `select count(distinct service_date)::int as days from zone_pair_baseline
  where service_date < :day::date and service_date >= :day::date - :days::int`;

/** The baseline's rows of the `days` days before `serviceDate`, summed by zone pair, and how many days had rows. */
export async function readTrailingPairMoments(db: Database, serviceDate: string, days: number): Promise<{ moments: PairMoments; days: number }> {
  const { rows } = await db.knex.raw(TRAILING_PAIR_MOMENTS, { day: serviceDate, days });
  const m = emptyMoments(rows.length);
  rows.forEach((r: Record<string, string | number>, i: number) => {
    m.pickup[i] = Number(r.pickup_zone_id);
    m.dropoff[i] = Number(r.dropoff_zone_id);
    m.rides[i] = Number(r.rides);
    m.sumD[i] = Number(r.d);
    m.sumT[i] = Number(r.t);
    m.sumDD[i] = Number(r.dd);
    m.sumTT[i] = Number(r.tt);
    m.sumDT[i] = Number(r.dt);
  });
  const counted = rows.length > 0 ? (await db.knex.raw(TRAILING_DAYS, { day: serviceDate, days })).rows[0].days : 0;
  return { moments: m, days: Number(counted) };
}

const DELETE_DAY = `delete from zone_pair_baseline where service_date = ?::date`;
const INSERT_DAY = `insert into zone_pair_baseline (service_date, pickup_zone_id, dropoff_zone_id, rides,
    sum_ln_distance, sum_ln_duration, sum_sq_ln_distance, sum_sq_ln_duration, sum_ln_distance_duration, detection_run_id)
  select ?::date, p, q, n, d, t, dd, tt, dt, ?::bigint
  from unnest(?::int2[], ?::int2[], ?::int[], ?::float8[], ?::float8[], ?::float8[], ?::float8[], ?::float8[]) as u (p, q, n, d, t, dd, tt, dt)`;

/** Replaces the day's baseline rows, inside the run's write transaction. */
export async function replaceDayPairMoments(trx: Knex.Transaction, serviceDate: string, runId: number, m: PairMoments): Promise<void> {
  await trx.raw(DELETE_DAY, [serviceDate]);
  if (m.pickup.length === 0) return;
  await trx.raw(INSERT_DAY, [
    serviceDate,
    runId,
    Array.from(m.pickup),
    Array.from(m.dropoff),
    Array.from(m.rides),
    Array.from(m.sumD),
    Array.from(m.sumT),
    Array.from(m.sumDD),
    Array.from(m.sumTT),
    Array.from(m.sumDT),
  ]);
}

const ZONE_AREAS = `select location_id, borough, zone, service_zone from zones`;

/** The zones table: what compute/context/baseline.ts zoneArea needs of each zone. */
export async function readZones(db: Database): Promise<{ locationId: number; borough: string; zone: string; serviceZone: string }[]> {
  const { rows } = await db.knex.raw(ZONE_AREAS);
  return rows.map((r: Record<string, string | number>) => ({ locationId: Number(r.location_id), borough: String(r.borough), zone: String(r.zone), serviceZone: String(r.service_zone) }));
}

// How many trailing rides were scored normal, from the runs (cheap): decides the sampling below.
const TRAILING_NORMAL_RIDES = `select coalesce(sum(rides_scored - outliers), 0)::float8 as rides from (
    select distinct on (service_date) rides_scored, outliers from detection_runs
    where status = 'succeeded' and rides_scored > 0
      and service_date < :day::date and service_date >= :day::date - :days::int
    order by service_date, id desc
  ) latest`;

// The trailing days' rides their runs left unflagged, every `every`-th by a hash of the ride id (a
// sample that is the same whatever the order of the rows), with zones and local pickup hour.
const COPY_REFERENCE_RIDES = `COPY (
  select distance_km, duration_min, pickup_zone_id, dropoff_zone_id,
    %LOCAL_HOUR%
  from rides
  where service_date < '%DATE%'::date and service_date >= '%DATE%'::date - %DAYS%
    and is_outlier = false %SAMPLE%
) TO STDOUT (FORMAT binary)`;

/** As the detector takes them (DetectionInputs.reference). */
export type ReferenceRides = Required<NonNullable<DetectionInputs['reference']>>;

/**
 * About `limit` rides of the `days` days before `serviceDate` that were scored normal; null when
 * there are none or limit < 1. Hours are local to `timeZone`.
 */
export async function readReferenceRides(db: Database, serviceDate: string, days: number, limit: number, timeZone: string): Promise<ReferenceRides | null> {
  if (limit < 1) return null;
  const available = Number((await db.knex.raw(TRAILING_NORMAL_RIDES, { day: serviceDate, days })).rows[0].rides);
  if (available < 1) return null;
  const every = Math.ceil(available / limit);
  const sql = COPY_REFERENCE_RIDES.replaceAll('%DATE%', serviceDate)
    .replace('%DAYS%', String(Math.trunc(days)))
    .replace('%LOCAL_HOUR%', localHourColumn(timeZone))
    .replace('%SAMPLE%', every > 1 ? `and abs(hashtext(ride_id)) % ${every} = 0` : '');
  const buffer = await db.knex.transaction((trx) => db.copyOut(trx, sql), { readOnly: true });
  const table = parseBinaryCopy(buffer, ['float8', 'float8', 'int2', 'int2', 'int2']);
  if (table.rowCount === 0) return null;
  const [d, t, p, q, h] = table.columns;
  return {
    distanceKm: d.numbers!,
    durationMin: t.numbers!,
    zones: { pickup: zoneIds(p.numbers!), dropoff: zoneIds(q.numbers!), hour: localHours(h.numbers!) },
  };
}
