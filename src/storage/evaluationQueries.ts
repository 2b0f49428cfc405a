// The figures of `evaluate --scenario tlc`, read from the scored evaluation database: the rides'
// flags beside the truth in evaluation_injections (storage/injections.ts). Real rides are the
// ones not injected into.
import type { Database } from './database.js';

/** NYC TLC airports: 1 Newark, 132 JFK, 138 LaGuardia (taxi_zone_lookup.csv); rate codes 2 JFK, 3 Newark. */
export const AIRPORT_ZONES = [1, 132, 138] as const;
export const AIRPORT_RATECODES = [2, 3] as const;

// Each real ride once, with whether it is a trip (no not-a-ride reason) and whether it is an airport trip.
const REAL_RIDES = `select r.service_date, r.is_outlier, r.outlier_reason,
    coalesce(r.outlier_reason, '') <> all(?::text[]) as trip,
    coalesce(r.ratecode_id in (${AIRPORT_RATECODES.join(', ')}), false)
      or coalesce(r.pickup_zone_id in (${AIRPORT_ZONES.join(', ')}), false)
      or coalesce(r.dropoff_zone_id in (${AIRPORT_ZONES.join(', ')}), false) as airport
  from rides r
  where not exists (select 1 from evaluation_injections t where t.ride_id = r.ride_id)`;

const REAL_TOTALS = `with real as (${REAL_RIDES})
  select count(*) as rides,
    count(*) filter (where is_outlier) as flagged,
    count(*) filter (where is_outlier is null) as unscored,
    count(*) filter (where trip) as trips,
    count(*) filter (where trip and is_outlier) as trips_flagged,
    count(*) filter (where airport) as airport_rides,
    count(*) filter (where airport and is_outlier) as airport_flagged,
    count(*) filter (where airport and trip) as airport_trips,
    count(*) filter (where airport and trip and is_outlier) as airport_trips_flagged
  from real`;

const REAL_DAYS = `with real as (${REAL_RIDES})
  select to_char(service_date, 'YYYY-MM-DD') as day,
    count(*) as rides,
    count(*) filter (where is_outlier) as flagged,
    count(*) filter (where trip) as trips,
    count(*) filter (where trip and is_outlier) as trips_flagged
  from real group by service_date order by service_date`;

const KIND_RECALL = `select t.kind, count(*) as injected, count(*) filter (where r.is_outlier) as flagged
  from evaluation_injections t join rides r using (ride_id)
  group by t.kind order by t.kind`;

const REASONS = `select r.outlier_reason as reason, coalesce(t.kind, 'real') as rides, count(*) as n
  from rides r left join evaluation_injections t using (ride_id)
  where r.is_outlier
  group by r.outlier_reason, t.kind order by r.outlier_reason, t.kind nulls first`;

export interface RealTotals {
  rides: number;
  flagged: number;
  unscored: number;
  trips: number;
  tripsFlagged: number;
  airportRides: number;
  airportFlagged: number;
  airportTrips: number;
  airportTripsFlagged: number;
}

export interface RealDay {
  day: string;
  rides: number;
  flagged: number;
  trips: number;
  tripsFlagged: number;
}

export interface KindRecallCount {
  kind: string;
  injected: number;
  flagged: number;
}

export interface EvaluationCounts {
  real: RealTotals;
  days: RealDay[];
  kinds: KindRecallCount[];
  /** reason → 'real' or the injected kind → flagged rides */
  reasons: Record<string, Record<string, number>>;
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function numbers<T>(row: Record<string, unknown>, keep: string[] = []): T {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), keep.includes(k) ? v : Number(v)])) as T;
}

/** The counts behind every figure. nonTripReasons: reasons that mark a record that is not a ride. */
export async function evaluationCounts(db: Database, nonTripReasons: readonly string[]): Promise<EvaluationCounts> {
  // one array binding, positional: the driver sends it as a text[]
  const bindings = [[...nonTripReasons]];
  const totals = (await db.knex.raw(REAL_TOTALS, bindings)).rows[0] as Record<string, unknown>;
  const days = (await db.knex.raw(REAL_DAYS, bindings)).rows as Record<string, unknown>[];
  const kinds = (await db.knex.raw(KIND_RECALL)).rows as Record<string, unknown>[];
  const reasonRows = (await db.knex.raw(REASONS)).rows as Array<{ reason: string; rides: string; n: string }>;
  const reasons: Record<string, Record<string, number>> = {};
  for (const r of reasonRows) (reasons[r.reason] ??= {})[r.rides] = Number(r.n);
  return {
    real: numbers<RealTotals>(totals),
    days: days.map((d) => numbers<RealDay>(d, ['day'])),
    kinds: kinds.map((k) => numbers<KindRecallCount>(k, ['kind'])),
    reasons,
  };
}
