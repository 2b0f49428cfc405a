// Reading a day's rides for scoring, and inserting rides.
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { LOCKS, lockInTransaction } from './locks.js';
import { ensureDayPartitions } from './ridePartitions.js';
import { sortIndicesByKey } from '../compute/compute_util.js';
import { BinaryCopyWriter, binaryCopyRowStarts, parseBinaryCopyRows, unixMsToPgMicros, type BinaryField, type BinaryTable } from './binaryCopy.js';

// The SQL of this module, beside the functions that run it.

/** One service day's rides with their current flags, as binary COPY (see readRidesForDay). */
const COPY_DAY_RIDES = `COPY (
  select ride_id, distance_km, duration_min, is_outlier, outlier_reason, outlier_score
  from rides where service_date = '%DATE%'::date
) TO STDOUT (FORMAT binary)`;

/** The same with the TLC fields the rules and the context read, and the local hour of pickup. */
const COPY_DAY_TLC_RIDES = `COPY (
  select ride_id, distance_km, duration_min, is_outlier, outlier_reason, outlier_score,
    pickup_zone_id, dropoff_zone_id, fare_amount, payment_type,
    %LOCAL_HOUR%
  from rides where service_date = '%DATE%'::date
) TO STDOUT (FORMAT binary)`;

// Whether any file in the TLC formats brought rides to the day. Only those days carry zones and
// fares: the others (company CSV, simulated) are read without the five extra columns, which on a
// 1M-ride day would add a fifth to the COPY for nothing but NULLs.
const DAY_HAS_TLC_RIDES = `select exists (
  select 1 from loads where format in ('tlc-yellow', 'tlc-green') and ?::date = any (service_days)
) as tlc`;

const CREATE_RIDE_STAGE = `create temporary table ridescan_ride_stage (
  ride_id text not null,
  taxi_id text,
  pickup_local timestamp not null,
  dropoff_local timestamp not null,
  distance_km double precision not null
) on commit drop`;

const COPY_RIDE_STAGE = `COPY ridescan_ride_stage FROM STDIN (FORMAT binary)`;

// Local wall-clock times become instants in the given zone, or when none is given in the
// database's service time zone (settings), read here under the load lock that a change of it
// also takes; the service day is the local date of pickup. Rides already present keep their row
// (and their flags): loading is idempotent. Present means, as for the loader (rideLoads.ts), the
// id on the ride's day or a day beside it: the primary key is (service_date, ride_id) since
// migration 012, and a lookup by id alone would probe every day's partition.
// Bindings: the zone or null, twice.
const INSERT_FROM_RIDE_STAGE = `insert into rides (ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date)
  select ride_id, taxi_id,
    pickup_local at time zone coalesce(?::text, (select service_time_zone from settings)),
    dropoff_local at time zone coalesce(?::text, (select service_time_zone from settings)),
    distance_km, pickup_local::date
  from ridescan_ride_stage s
  where not exists (select 1 from rides r
    where r.ride_id = s.ride_id and r.service_date between s.pickup_local::date - 1 and s.pickup_local::date + 1)
  on conflict (service_date, ride_id) do nothing`;

// The days the staged rides fall on: each needs its partition before the insert.
const RIDE_STAGE_DAYS = `select distinct to_char(pickup_local::date, 'YYYY-MM-DD') as day from ridescan_ride_stage`;

export interface DayRides {
  serviceDate: string;
  count: number;
  /** the raw COPY output; ride ids are byte ranges of it, decoded only when needed */
  table: BinaryTable;
  idStarts: Uint32Array;
  idLengths: Int32Array;
  distanceKm: Float64Array;
  durationMin: Float64Array;
  /** current flag: -1 NULL (not scored), 0 false, 1 true */
  previousFlag: Int8Array;
  /** current reason text, per row (null where none); only outliers carry one */
  previousReason: (string | null)[];
  /** current score as stored (float4); NaN where NULL */
  previousScore: Float64Array;
  /** TLC days only (see DAY_HAS_TLC_RIDES): zones (0 = none), fares and payment types (NaN = none), local pickup hour (255 = none) */
  tlc?: DayTlcColumns;
}

export interface DayTlcColumns {
  pickupZone: Int16Array;
  dropoffZone: Int16Array;
  fareAmount: Float64Array;
  paymentType: Float64Array;
  pickupHour: Uint8Array;
}

/** an IANA zone name, safe to put in a COPY statement (COPY takes no parameters) */
const ZONE_NAME = /^[A-Za-z0-9_+\-/]+$/;

/** The local hour of pickup in the zone, as an int2 column of a COPY (which takes no parameters). */
export function localHourColumn(timeZone: string): string {
  if (!ZONE_NAME.test(timeZone)) throw new Error(`time zone must be an IANA zone name, got ${timeZone}`);
  return `extract(hour from pickup_at at time zone '${timeZone}')::int2`;
}

/** Zone ids read as numbers: NULL (NaN) is 0, no zone. */
export function zoneIds(numbers: Float64Array): Int16Array {
  return Int16Array.from(numbers, (z) => (Number.isNaN(z) ? 0 : z));
}

/** Hours read as numbers: NULL (NaN) is 255, no hour. */
export function localHours(numbers: Float64Array): Uint8Array {
  return Uint8Array.from(numbers, (h) => (Number.isNaN(h) ? 255 : h));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether a file in the TLC formats brought rides to the day: its read then carries zones and fares. */
export async function dayHasTlcRides(db: Database, serviceDate: string): Promise<boolean> {
  return Boolean((await db.knex.raw(DAY_HAS_TLC_RIDES, [serviceDate])).rows[0]?.tlc);
}

/** All rides of one service day, read with one binary COPY. */
export async function readRidesForDay(db: Database, serviceDate: string, timeZone = 'UTC'): Promise<DayRides> {
  if (!ISO_DATE.test(serviceDate)) throw new Error(`service date must be YYYY-MM-DD, got ${serviceDate}`);
  const localHour = localHourColumn(timeZone);
  let tlc = false;
  const buffer = await db.knex.transaction(
    async (trx) => {
      // JIT compiling this plain scan costs ~0.17 s at 1M rides and saves nothing.
      if (db.profile.jit) await trx.raw('set local jit = off');
      tlc = Boolean((await trx.raw(DAY_HAS_TLC_RIDES, [serviceDate])).rows[0]?.tlc);
      const sql = tlc ? COPY_DAY_TLC_RIDES.replace('%LOCAL_HOUR%', localHour) : COPY_DAY_RIDES;
      return db.copyOut(trx, sql.replace('%DATE%', serviceDate));
    },
    { readOnly: true },
  );
  const types: BinaryField[] = ['text', 'float8', 'float8', 'bool', 'text', 'float4', ...(tlc ? (['int2', 'int2', 'float8', 'int2', 'int2'] as const) : [])];
  // The rows in an order of their own ids, not the pages': a rewrite of the day (every scoring's
  // UPDATE) moves rows between pages, and the detector's float sums (the scaler's moments, the zone
  // pairs' moments) depend on the order of their terms. In page order a re-run of an unchanged
  // 1M-ride day wrote 12-38 flags of rides at the edge of eps; in this order it writes none
  // (npm run bench, 3 of 3). The order is found from the ids alone (a pass over the rows' field
  // lengths), and then the rows are parsed in it: parsing in page order and gathering each column
  // afterwards cost a random read per column and row (~0.3 s of a 1M-ride read, profiled).
  const rowStarts = binaryCopyRowStarts(buffer, types.length);
  const n = rowStarts.length;
  const idStarts = new Uint32Array(n);
  const idLengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // the id is each row's first field: a 2-byte field count, then its 4-byte length and its bytes
    const at = rowStarts[i] + 2;
    idStarts[i] = at + 4;
    idLengths[i] = buffer.readInt32BE(at);
  }
  const order = idOrder(buffer, idStarts, idLengths);
  const orderedStarts = new Uint32Array(n);
  for (let k = 0; k < n; k++) orderedStarts[k] = rowStarts[order[k]];
  const table = parseBinaryCopyRows(buffer, types, orderedStarts);
  const [ids, distance, duration, flag, reason, score, pickupZone, dropoffZone, fare, payment, hour] = table.columns;
  const previousReason: (string | null)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const length = reason.lengths![k];
    previousReason[k] = length < 0 ? null : buffer.toString('utf8', reason.starts![k], reason.starts![k] + length);
  }
  return {
    serviceDate,
    count: n,
    table,
    idStarts: ids.starts!,
    idLengths: ids.lengths!,
    distanceKm: distance.numbers!,
    durationMin: duration.numbers!,
    previousFlag: flag.flags!,
    previousReason,
    previousScore: score.numbers!,
    ...(tlc
      ? {
          tlc: {
            pickupZone: zoneIds(pickupZone.numbers!),
            dropoffZone: zoneIds(dropoffZone.numbers!),
            fareAmount: fare.numbers!,
            paymentType: payment.numbers!,
            pickupHour: localHours(hour.numbers!),
          },
        }
      : {}),
  };
}

/**
 * Row indices in the order of a 32-bit hash of each id's last 16 bytes and length (FNV-1a), ids of
 * equal hash in byte order: the same ids give the same order however the rows came. Ids are unique
 * within a day, so the order is total.
 */
export function idOrder(buffer: Buffer, starts: Uint32Array, lengths: Int32Array): Uint32Array {
  const n = starts.length;
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const end = starts[i] + lengths[i];
    let h = Math.imul(0x811c9dc5 ^ lengths[i], 0x01000193);
    for (let b = Math.max(starts[i], end - 16); b < end; b++) h = Math.imul(h ^ buffer[b], 0x01000193);
    keys[i] = h >>> 0;
  }
  const identity = new Uint32Array(n);
  for (let i = 0; i < n; i++) identity[i] = i;
  const sorted = new Uint32Array(n);
  const order = sortIndicesByKey(keys, identity, sorted);
  // runs of equal keys (about n^2 / 2^33 pairs: ~116 at 1M rides, more for ids alike in their last 16 bytes) by their bytes
  for (let lo = 0; lo < n; ) {
    let hi = lo + 1;
    while (hi < n && sorted[hi] === sorted[lo]) hi++;
    if (hi - lo > 1) {
      const run = Array.from(order.subarray(lo, hi)).sort((a, b) => buffer.compare(buffer, starts[a], starts[a] + lengths[a], starts[b], starts[b] + lengths[b]));
      order.set(run, lo);
    }
    lo = hi;
  }
  return order;
}

export function rideIdAt(rides: DayRides, i: number): string {
  return rides.table.buffer.toString('utf8', rides.idStarts[i], rides.idStarts[i] + rides.idLengths[i]);
}

/** A ride as the loaders and the simulator hand it over: local wall-clock times, no zone. */
export interface NewRide {
  rideId: string;
  taxiId: string | null;
  /** local wall-clock time in the service time zone, as ms since 1970 read as if UTC */
  pickupLocalMs: number;
  dropoffLocalMs: number;
  distanceKm: number;
}

export interface InsertResult {
  inserted: number;
  alreadyPresent: number;
}

/**
 * Inserts rides in one transaction (all or none); rides whose id exists are left as they are.
 * Their wall-clock times are in `timeZone`, which must then be the database's service time zone
 * (tests and benches name it); by default they are in the database's zone.
 */
export async function insertRides(db: Database, rides: Iterable<NewRide>, timeZone?: string): Promise<InsertResult> {
  const writer = new BinaryCopyWriter(5, 1 << 20);
  let offered = 0;
  for (const ride of rides) {
    writer
      .beginRow()
      .text(ride.rideId)
      .text(ride.taxiId)
      .timestampMicros(unixMsToPgMicros(ride.pickupLocalMs))
      .timestampMicros(unixMsToPgMicros(ride.dropoffLocalMs))
      .float8(ride.distanceKm);
    offered++;
  }
  const data = writer.finish();
  const inserted = await db.knex.transaction(async (trx: Knex.Transaction) => {
    // Behind any file load in progress: a load that found an id absent must not fail on it.
    await lockInTransaction(trx, LOCKS.loads());
    await trx.raw(CREATE_RIDE_STAGE);
    await db.copyIn(trx, COPY_RIDE_STAGE, data);
    await ensureDayPartitions(trx, ((await trx.raw(RIDE_STAGE_DAYS)).rows as { day: string }[]).map((r) => r.day));
    const result = await trx.raw(INSERT_FROM_RIDE_STAGE, [timeZone ?? null, timeZone ?? null]);
    return result.rowCount as number;
  });
  return { inserted, alreadyPresent: offered - inserted };
}

/** Ride counts per service day in [from, to], days without rides left out. */
export async function countRidesByDay(db: Database, from: string, to: string): Promise<Map<string, number>> {
  const rows = await db.knex('rides')
    .select(db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`))
    .count<{ day: string; count: string | number }[]>('* as count')
    .whereBetween('service_date', [from, to])
    .groupBy('service_date');
  return new Map(rows.map((r) => [r.day, Number(r.count)]));
}
