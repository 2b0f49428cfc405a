// The SQL behind `ridescan report`: what one service day is made of, a bounded set of rides to
// plot, the flag rate of the days before it, the day's top outliers and its rule-flagged rides. Every query reads at most
// one day of rides; a day may hold a million, so sampling happens here and not in the caller.
import type { Database } from './database.js';

// A ride can be drawn on linear distance/duration axes when both values are finite and not
// negative. In PostgreSQL NaN sorts above Infinity, so `< 'Infinity'` excludes NaN as well.
const PLOTTABLE = `(distance_km >= 0 and distance_km < 'Infinity'::float8
  and duration_min >= 0 and duration_min < 'Infinity'::float8)`;

// Ordering by a hash of ride_id gives a sample that is the same every time the same day is
// reported on, and spread evenly over the day. hashtextextended is PostgreSQL's own text hash
// (stable within a major version): about 0.3 s per million rides, where md5 takes over 1 s.
const SAMPLE_ORDER = `hashtextextended(ride_id, 0), ride_id`;

export interface DayCompositionRow {
  /** null = not scored yet */
  isOutlier: boolean | null;
  /** null for normal and unscored rides */
  reason: string | null;
  plottable: boolean;
  rides: number;
}

/** The day's rides counted by flag, reason and whether they can be plotted: one scan of the day. */
export async function dayComposition(db: Database, serviceDate: string): Promise<DayCompositionRow[]> {
  const { rows } = await db.knex.raw(
    `select is_outlier, outlier_reason, ${PLOTTABLE} as plottable, count(*)::int as rides
     from rides where service_date = ?::date
     group by 1, 2, 3
     order by 1, 2, 3`,
    [serviceDate],
  );
  return (rows as { is_outlier: boolean | null; outlier_reason: string | null; plottable: boolean; rides: number }[]).map((r) => ({
    isOutlier: r.is_outlier,
    reason: r.outlier_reason,
    plottable: r.plottable,
    rides: Number(r.rides),
  }));
}

export interface PlotPoint {
  distanceKm: number;
  durationMin: number;
  /** outlier reason; null for a normal ride */
  reason: string | null;
}

/**
 * Plottable scored rides: up to `normalLimit` normal rides and up to `perReasonLimit` outliers
 * of each reason, each a deterministic sample by hash of ride_id. Normal rides come first, so
 * that outliers are drawn on top of them.
 */
export async function plotSample(
  db: Database,
  serviceDate: string,
  limits: { normalLimit: number; perReasonLimit: number },
): Promise<PlotPoint[]> {
  const [normal, outliers] = await Promise.all([
    db.knex.raw(
      `select distance_km, duration_min
       from rides where service_date = ?::date and is_outlier = false and ${PLOTTABLE}
       order by ${SAMPLE_ORDER} limit ?`,
      [serviceDate, limits.normalLimit],
    ),
    db.knex.raw(
      `select distance_km, duration_min, reason from (
         select distance_km, duration_min, coalesce(outlier_reason, 'unknown') as reason,
                row_number() over (partition by outlier_reason order by ${SAMPLE_ORDER}) as nth
         from rides where service_date = ?::date and is_outlier and ${PLOTTABLE}
       ) ranked
       where nth <= ?
       order by reason, nth`,
      [serviceDate, limits.perReasonLimit],
    ),
  ]);
  type Row = { distance_km: number; duration_min: number; reason?: string };
  const point = (r: Row): PlotPoint => ({ distanceKm: r.distance_km, durationMin: r.duration_min, reason: r.reason ?? null });
  return [...(normal.rows as Row[]).map(point), ...(outliers.rows as Row[]).map(point)];
}

export interface FlagRateDay {
  day: string;
  /** rides the day holds now (scored or not) */
  rides: number;
  /** status of the day's latest run, null when it has none */
  lastRunStatus: string | null;
  /** the latest succeeded run: its flags are the day's current flags */
  succeededRunId: number | null;
  ridesScored: number | null;
  outliers: number | null;
  /** the latest succeeded run's outliers per reason; null without one */
  outliersByReason: Record<string, number> | null;
}

/**
 * Every day of the `days` ending at `lastDay`, with what its latest succeeded run scored. Flags are
 * read from detection_runs, not rides: counting flags over 30 days of rides would read every row,
 * while each succeeded run recorded its counts when it wrote the flags. The rides per day are a
 * count over the service_date index alone (no row is read where the visibility map allows).
 */
export async function flagRateDays(db: Database, lastDay: string, days: number): Promise<FlagRateDay[]> {
  const { rows } = await db.knex.raw(
    `with days as (
       select d::date as day
       from generate_series(:lastDay::date - (:days::int - 1), :lastDay::date, interval '1 day') as d
     ), last_run as (
       select distinct on (service_date) service_date, status
       from detection_runs where service_date between :lastDay::date - (:days::int - 1) and :lastDay::date
       order by service_date, id desc
     ), last_ok as (
       select distinct on (service_date) service_date, id, rides_scored, outliers, outliers_by_reason
       from detection_runs
       where status = 'succeeded' and service_date between :lastDay::date - (:days::int - 1) and :lastDay::date
       order by service_date, id desc
     ), ride_days as (
       select service_date, count(*) as rides
       from rides where service_date between :lastDay::date - (:days::int - 1) and :lastDay::date
       group by service_date
     )
     select to_char(days.day, 'YYYY-MM-DD') as day, coalesce(rd.rides, 0) as rides, lr.status as last_status,
            lo.id as run_id, lo.rides_scored, lo.outliers, lo.outliers_by_reason
     from days
     left join ride_days rd on rd.service_date = days.day
     left join last_run lr on lr.service_date = days.day
     left join last_ok lo on lo.service_date = days.day
     order by days.day`,
    { lastDay, days },
  );
  type Row = {
    day: string;
    rides: number | string;
    last_status: string | null;
    run_id: number | null;
    rides_scored: number | null;
    outliers: number | null;
    outliers_by_reason: Record<string, number> | string | null;
  };
  return (rows as Row[]).map((r) => ({
    day: r.day,
    rides: Number(r.rides),
    lastRunStatus: r.last_status,
    succeededRunId: r.run_id === null ? null : Number(r.run_id),
    ridesScored: r.rides_scored === null ? null : Number(r.rides_scored),
    outliers: r.outliers === null ? null : Number(r.outliers),
    outliersByReason: r.run_id === null ? null : countsByReason(r.outliers_by_reason),
  }));
}

/** jsonb arrives parsed from a server and PGlite alike; a text copy (an old driver setting) is parsed here. */
function countsByReason(value: Record<string, number> | string | null): Record<string, number> {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  const out: Record<string, number> = {};
  if (parsed && typeof parsed === 'object') {
    for (const [reason, count] of Object.entries(parsed)) if (Number.isFinite(Number(count))) out[reason] = Number(count);
  }
  return out;
}

/** The id of the day's latest succeeded run, whose flags the rides table holds. */
export async function latestSucceededRunId(db: Database, serviceDate: string): Promise<number | null> {
  const row = await db.knex('detection_runs')
    .where({ service_date: serviceDate, status: 'succeeded' })
    .max('id as id')
    .first();
  return row?.id === null || row?.id === undefined ? null : Number(row.id);
}

export interface OptionalColumns {
  /** rides carry pickup/dropoff zone ids and the zones table names them */
  zones: boolean;
  /** rides carry the TLC fare and rate code */
  fares: boolean;
}

/**
 * Which optional columns the schema has: zone ids with the zones table, and the TLC fare and rate
 * code. Asked of the catalogue rather than assumed, so that the report works on a schema without them.
 */
export async function optionalColumns(db: Database): Promise<OptionalColumns> {
  const { rows } = await db.knex.raw(
    `select
       (select count(*) from information_schema.columns
        where table_schema = current_schema() and table_name = 'rides'
          and column_name in ('pickup_zone_id', 'dropoff_zone_id'))::int as zone_columns,
       (select count(*) from information_schema.columns
        where table_schema = current_schema() and table_name = 'zones'
          and column_name in ('location_id', 'zone', 'borough'))::int as zone_table_columns,
       (select count(*) from information_schema.columns
        where table_schema = current_schema() and table_name = 'rides'
          and column_name in ('fare_amount', 'ratecode_id'))::int as fare_columns`,
  );
  const row = rows[0] as { zone_columns: number; zone_table_columns: number; fare_columns: number };
  return { zones: Number(row.zone_columns) === 2 && Number(row.zone_table_columns) === 3, fares: Number(row.fare_columns) === 2 };
}

/** The listed rides' columns, the optional ones as the schema allows. */
function rideColumns(columns: OptionalColumns): { select: string; joins: string } {
  const zone = columns.zones
    ? `, pz.zone as pickup_zone, pz.borough as pickup_borough, dz.zone as dropoff_zone, dz.borough as dropoff_borough`
    : '';
  const fare = columns.fares ? `, r.fare_amount, r.ratecode_id` : '';
  return {
    select: `r.ride_id, r.taxi_id, r.pickup_at, r.distance_km, r.duration_min,
            case when r.duration_min > 0 then r.distance_km / (r.duration_min / 60) end as speed_kmh,
            r.outlier_reason, r.outlier_score ${zone} ${fare}`,
    joins: columns.zones
      ? `left join zones pz on pz.location_id = r.pickup_zone_id
         left join zones dz on dz.location_id = r.dropoff_zone_id`
      : '',
  };
}

type RideRow = {
  ride_id: string;
  taxi_id: string | null;
  pickup_at: Date | string;
  distance_km: number;
  duration_min: number;
  speed_kmh: number | null;
  outlier_reason: string | null;
  outlier_score: number | null;
  pickup_zone?: string | null;
  pickup_borough?: string | null;
  dropoff_zone?: string | null;
  dropoff_borough?: string | null;
  fare_amount?: number | null;
  ratecode_id?: number | null;
};

export interface ListedRide {
  rideId: string;
  taxiId: string | null;
  pickupAt: Date;
  distanceKm: number;
  durationMin: number;
  /** km/h; null when the duration is not positive */
  speedKmh: number | null;
  reason: string;
  /** zone name and borough, when the schema has zones and the ride a zone id */
  pickupZone: { zone: string; borough: string } | null;
  dropoffZone: { zone: string; borough: string } | null;
  /** TLC rides: the metered fare (USD) and RatecodeID; null for rides without them */
  fareAmount: number | null;
  ratecodeId: number | null;
}

function listedRide(r: RideRow): ListedRide {
  const zone = (name: string | null | undefined, borough: string | null | undefined) =>
    name === null || name === undefined ? null : { zone: name, borough: borough ?? '' };
  return {
    rideId: r.ride_id,
    taxiId: r.taxi_id,
    pickupAt: new Date(r.pickup_at),
    distanceKm: r.distance_km,
    durationMin: r.duration_min,
    speedKmh: r.speed_kmh,
    reason: r.outlier_reason ?? 'unknown',
    pickupZone: zone(r.pickup_zone, r.pickup_borough),
    dropoffZone: zone(r.dropoff_zone, r.dropoff_borough),
    fareAmount: r.fare_amount === null || r.fare_amount === undefined ? null : Number(r.fare_amount),
    ratecodeId: r.ratecode_id === null || r.ratecode_id === undefined ? null : Number(r.ratecode_id),
  };
}

/** The statement `ridescan query` can run to list every ride of the day with one of these reasons. */
export function reasonRidesSql(serviceDate: string, reasons: readonly string[]): string {
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return `select ride_id, taxi_id, pickup_at, distance_km, duration_min, outlier_reason
from rides
where service_date = ${quote(serviceDate)} and outlier_reason in (${reasons.map(quote).join(', ')})
order by outlier_reason, pickup_at, ride_id`;
}

/**
 * The day's rides flagged for one of `reasons` (the rule reasons: they have no score), in the order
 * of `reasons`, then by pickup: at most `limit`, with how many there are in all.
 */
export async function ridesWithReasons(
  db: Database,
  serviceDate: string,
  reasons: readonly string[],
  limit: number,
  columns: OptionalColumns,
): Promise<{ rows: ListedRide[]; total: number }> {
  if (reasons.length === 0) return { rows: [], total: 0 };
  const { select, joins } = rideColumns(columns);
  // one placeholder per reason: knex would expand an array bound to one `?` into a list anyway
  const list = `array[${reasons.map(() => '?').join(', ')}]::text[]`;
  const [listed, counted] = await Promise.all([
    db.knex.raw(
      `select ${select}
       from rides r ${joins}
       where r.service_date = ?::date and r.is_outlier and r.outlier_reason = any(${list})
       order by array_position(${list}, r.outlier_reason), r.pickup_at, r.ride_id
       limit ?`,
      [serviceDate, ...reasons, ...reasons, limit],
    ),
    db.knex.raw(`select count(*)::int as n from rides where service_date = ?::date and is_outlier and outlier_reason = any(${list})`, [
      serviceDate,
      ...reasons,
    ]),
  ]);
  return { rows: (listed.rows as RideRow[]).map(listedRide), total: Number(counted.rows[0].n) };
}

export interface ScoredOutlier extends ListedRide {
  score: number;
  /** what was expected of it (ride_flag_explanations): its zone pair's trailing trips, or the day's normal rides in its distance band; `band` says which */
  expected: { distanceKm: number; durationMin: number; band: string } | null;
}

/** The day's outliers with a score (DBSCAN flags; rule flags have none), highest first. */
export async function topScoredOutliers(db: Database, serviceDate: string, limit: number, columns: OptionalColumns): Promise<ScoredOutlier[]> {
  const { select, joins } = rideColumns(columns);
  const { rows } = await db.knex.raw(
    `select ${select}
     from rides r ${joins}
     where r.service_date = ?::date and r.is_outlier and r.outlier_score is not null
     order by r.outlier_score desc, r.ride_id
     limit ?`,
    [serviceDate, limit],
  );
  // the explanations of these rides only: the view groups the day's normal rides once
  const explained = new Map<string, { distanceKm: number; durationMin: number; band: string }>();
  if (rows.length > 0) {
    const found = await db.knex('ride_flag_explanations')
      .select('ride_id', 'expected_distance_km', 'expected_duration_min', 'distance_band', 'expected_from')
      .where('service_date', serviceDate)
      .whereIn('ride_id', (rows as RideRow[]).map((r) => r.ride_id));
    for (const e of found as { ride_id: string; expected_distance_km: number | null; expected_duration_min: number | null; distance_band: string; expected_from: string | null }[]) {
      if (e.expected_distance_km !== null && e.expected_duration_min !== null) {
        const byPair = e.expected_from?.startsWith('trips between') ?? false;
        explained.set(e.ride_id, { distanceKm: Number(e.expected_distance_km), durationMin: Number(e.expected_duration_min), band: byPair ? 'its zone pair' : e.distance_band });
      }
    }
  }
  return (rows as RideRow[]).map((r) => ({
    ...listedRide(r),
    score: Number(r.outlier_score),
    expected: explained.get(r.ride_id) ?? null,
  }));
}
