// Anomalies injected into loaded rides, for `evaluate --scenario tlc`, and the truth kept beside
// them. Only ever run on a throwaway evaluation database: it rewrites rides in place.
import type { Database } from './database.js';

/**
 * The truth: which rides were changed, to what kind, and what they were. A plain table rather than
 * a temporary one, because the pool may hand the report's queries another connection (on a
 * server); it lives in the evaluation's throwaway database and dies with it.
 */
const CREATE_TRUTH = `create table if not exists evaluation_injections (
  ride_id text collate "C" primary key,
  kind text not null,
  distance_km_before double precision not null,
  duration_min_before double precision not null,
  distance_km double precision not null,
  duration_min double precision not null
)`;

const INSERT_TRUTH = `insert into evaluation_injections (ride_id, kind, distance_km_before, duration_min_before, distance_km, duration_min)
  select t.ride_id, t.kind, r.distance_km, r.duration_min, t.distance_km, t.duration_min
  from unnest(?::text[], ?::text[], ?::float8[], ?::float8[]) as t(ride_id, kind, distance_km, duration_min)
  join rides r on r.ride_id = t.ride_id`;

// duration_min is generated from dropoff_at: the duration moves the dropoff. trip_distance_mi is
// kept in step with distance_km (TLC publishes miles; distance_km = miles × 1.609344).
const APPLY = `update rides r set
    distance_km = t.distance_km,
    trip_distance_mi = case when r.trip_distance_mi is null then null else t.distance_km / 1.609344 end,
    dropoff_at = r.pickup_at + make_interval(secs => t.duration_min * 60)
  from evaluation_injections t
  where r.ride_id = t.ride_id`;

export interface InjectionCandidates {
  rideIds: string[];
  distanceKm: Float64Array;
  durationMin: Float64Array;
  /** NaN where the ride has none */
  fareAmount: Float64Array;
  /** 0 where the ride has none */
  paymentType: Uint8Array;
}

/** Every ride, in ride_id order (an order that does not depend on how the files were loaded). */
export async function readInjectionCandidates(db: Database): Promise<InjectionCandidates> {
  const rows: Array<{ ride_id: string; distance_km: number; duration_min: number; fare_amount: number | null; payment_type: number | null }> = await db
    .knex('rides')
    .select('ride_id', 'distance_km', 'duration_min', 'fare_amount', 'payment_type')
    .orderBy('ride_id');
  return {
    rideIds: rows.map((r) => r.ride_id),
    distanceKm: Float64Array.from(rows, (r) => r.distance_km),
    durationMin: Float64Array.from(rows, (r) => r.duration_min),
    fareAmount: Float64Array.from(rows, (r) => r.fare_amount ?? NaN),
    paymentType: Uint8Array.from(rows, (r) => r.payment_type ?? 0),
  };
}

export interface InjectedRide {
  rideId: string;
  kind: string;
  distanceKm: number;
  durationMin: number;
}

/** Records the truth and rewrites the rides, in one transaction; returns the rides changed. */
export async function applyInjections(db: Database, rides: InjectedRide[]): Promise<number> {
  return db.knex.transaction(async (trx) => {
    await trx.raw(CREATE_TRUTH);
    await trx.raw(INSERT_TRUTH, [rides.map((r) => r.rideId), rides.map((r) => r.kind), rides.map((r) => r.distanceKm), rides.map((r) => r.durationMin)]);
    const updated = await trx.raw(APPLY);
    const count = Number(updated.rowCount ?? updated.affectedRows ?? 0);
    if (count !== rides.length) throw new Error(`injected ${count} rides, expected ${rides.length} (a ride id is missing or repeated)`);
    return count;
  });
}
