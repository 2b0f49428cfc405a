// The SQL behind `ridescan report`: what one service day is made of, a bounded set of rides to
// plot, the flag rate of the days before it and the day's top outliers. Every query reads at most
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
  /** status of the day's latest run, null when it has none */
  lastRunStatus: string | null;
  /** the latest succeeded run: its flags are the day's current flags */
  succeededRunId: number | null;
  ridesScored: number | null;
  outliers: number | null;
}

/**
 * Every day of the `days` ending at `lastDay`, with what its latest succeeded run scored. Read
 * from detection_runs, not rides: counting flags over 30 days of rides would read 30 million
 * rows to draw one chart, while each succeeded run recorded its counts when it wrote the flags.
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
       select distinct on (service_date) service_date, id, rides_scored, outliers
       from detection_runs
       where status = 'succeeded' and service_date between :lastDay::date - (:days::int - 1) and :lastDay::date
       order by service_date, id desc
     )
     select to_char(days.day, 'YYYY-MM-DD') as day, lr.status as last_status, lo.id as run_id,
            lo.rides_scored, lo.outliers
     from days
     left join last_run lr on lr.service_date = days.day
     left join last_ok lo on lo.service_date = days.day
     order by days.day`,
    { lastDay, days },
  );
  return (
    rows as { day: string; last_status: string | null; run_id: number | null; rides_scored: number | null; outliers: number | null }[]
  ).map((r) => ({
    day: r.day,
    lastRunStatus: r.last_status,
    succeededRunId: r.run_id === null ? null : Number(r.run_id),
    ridesScored: r.rides_scored === null ? null : Number(r.rides_scored),
    outliers: r.outliers === null ? null : Number(r.outliers),
  }));
}

/** The id of the day's latest succeeded run, whose flags the rides table holds. */
export async function latestSucceededRunId(db: Database, serviceDate: string): Promise<number | null> {
  const row = await db.knex('detection_runs')
    .where({ service_date: serviceDate, status: 'succeeded' })
    .max('id as id')
    .first();
  return row?.id === null || row?.id === undefined ? null : Number(row.id);
}

/**
 * Whether rides carry pickup/dropoff zone ids and the zones table names them. Asked of the
 * catalogue rather than assumed, so that the report works on a schema without them.
 */
export async function zoneNamesAvailable(db: Database): Promise<boolean> {
  const { rows } = await db.knex.raw(
    `select
       (select count(*) from information_schema.columns
        where table_schema = current_schema() and table_name = 'rides'
          and column_name in ('pickup_zone_id', 'dropoff_zone_id'))::int as zone_columns,
       (select count(*) from information_schema.columns
        where table_schema = current_schema() and table_name = 'zones'
          and column_name in ('location_id', 'zone', 'borough'))::int as zone_table_columns`,
  );
  const row = rows[0] as { zone_columns: number; zone_table_columns: number };
  return Number(row.zone_columns) === 2 && Number(row.zone_table_columns) === 3;
}

export interface ScoredOutlier {
  rideId: string;
  taxiId: string | null;
  pickupAt: Date;
  distanceKm: number;
  durationMin: number;
  /** km/h; null when the duration is not positive */
  speedKmh: number | null;
  reason: string;
  score: number;
  /** zone name and borough, when the schema has zones and the ride a zone id */
  pickupZone: { zone: string; borough: string } | null;
  dropoffZone: { zone: string; borough: string } | null;
  /** what a normal ride of its distance band was that day (ride_flag_explanations) */
  expected: { distanceKm: number; durationMin: number; band: string } | null;
}

/** The day's outliers with a score (DBSCAN flags; rule flags have none), highest first. */
export async function topScoredOutliers(
  db: Database,
  serviceDate: string,
  limit: number,
  options: { withZones: boolean },
): Promise<ScoredOutlier[]> {
  const zoneColumns = options.withZones
    ? `, pz.zone as pickup_zone, pz.borough as pickup_borough, dz.zone as dropoff_zone, dz.borough as dropoff_borough`
    : '';
  const zoneJoins = options.withZones
    ? `left join zones pz on pz.location_id = r.pickup_zone_id
       left join zones dz on dz.location_id = r.dropoff_zone_id`
    : '';
  const { rows } = await db.knex.raw(
    `select r.ride_id, r.taxi_id, r.pickup_at, r.distance_km, r.duration_min,
            case when r.duration_min > 0 then r.distance_km / (r.duration_min / 60) end as speed_kmh,
            r.outlier_reason, r.outlier_score ${zoneColumns}
     from rides r ${zoneJoins}
     where r.service_date = ?::date and r.is_outlier and r.outlier_score is not null
     order by r.outlier_score desc, r.ride_id
     limit ?`,
    [serviceDate, limit],
  );
  type Row = {
    ride_id: string;
    taxi_id: string | null;
    pickup_at: Date | string;
    distance_km: number;
    duration_min: number;
    speed_kmh: number | null;
    outlier_reason: string | null;
    outlier_score: number;
    pickup_zone?: string | null;
    pickup_borough?: string | null;
    dropoff_zone?: string | null;
    dropoff_borough?: string | null;
  };
  const zone = (name: string | null | undefined, borough: string | null | undefined) =>
    name === null || name === undefined ? null : { zone: name, borough: borough ?? '' };
  // the explanations of these rides only: the view groups the day's normal rides once
  const explained = new Map<string, { distanceKm: number; durationMin: number; band: string }>();
  if (rows.length > 0) {
    const found = await db.knex('ride_flag_explanations')
      .select('ride_id', 'expected_distance_km', 'expected_duration_min', 'distance_band')
      .where('service_date', serviceDate)
      .whereIn('ride_id', (rows as Row[]).map((r) => r.ride_id));
    for (const e of found as { ride_id: string; expected_distance_km: number | null; expected_duration_min: number | null; distance_band: string }[]) {
      if (e.expected_distance_km !== null && e.expected_duration_min !== null) {
        explained.set(e.ride_id, { distanceKm: Number(e.expected_distance_km), durationMin: Number(e.expected_duration_min), band: e.distance_band });
      }
    }
  }
  return (rows as Row[]).map((r) => ({
    rideId: r.ride_id,
    taxiId: r.taxi_id,
    pickupAt: new Date(r.pickup_at),
    distanceKm: r.distance_km,
    durationMin: r.duration_min,
    speedKmh: r.speed_kmh,
    reason: r.outlier_reason ?? 'unknown',
    score: Number(r.outlier_score),
    pickupZone: zone(r.pickup_zone, r.pickup_borough),
    dropoffZone: zone(r.dropoff_zone, r.dropoff_borough),
    expected: explained.get(r.ride_id) ?? null,
  }));
}
