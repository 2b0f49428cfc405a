// A month of service days for the report tests: the report day has more normal rides than the
// scatter draws (so it samples), rule-flagged rides off the axes, zone ids on its top outliers
// and a hostile taxi id; the days before it have succeeded runs, a failed run, no run, no rides.
import type { Database } from '../../../src/storage/database.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { scoreForTest } from '../../support/scoring.js';

export const REPORT_DAY = '2024-03-15';
export const DETECT_PARAMS = { eps: 0.3, minSamples: 10, minClusterShare: 0.05 };
export const HOSTILE_TAXI_ID = `<img src=x onerror="alert('taxi')">&`;

export function dayBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

export interface ReportScenario {
  reportDay: string;
  /** days (within the 30 ending at the report day) whose only run failed */
  failedDays: string[];
  /** days with rides and no run */
  unscoredDays: string[];
  /** rides given zone ids (when the schema has them) */
  zonedRideIds: string[];
}

export async function fillReportScenario(db: Database): Promise<ReportScenario> {
  const day = REPORT_DAY;
  const scored = [1, 2, 4, 6, 10, 29, 30, -1];
  for (const [i, offset] of scored.entries()) {
    const serviceDate = dayBefore(day, offset);
    await simulateDay(db, { serviceDate, rides: 300 + 40 * i, seed: 100 + i, timeZone: 'UTC', anomalyShare: 0.03 + 0.01 * (i % 4) });
    await scoreForTest(db, { serviceDate, params: DETECT_PARAMS, trigger: 'test' });
  }
  const failedDay = dayBefore(day, 3);
  await simulateDay(db, { serviceDate: failedDay, rides: 300, seed: 7, timeZone: 'UTC' });
  await db.knex('detection_runs').insert({
    service_date: failedDay,
    status: 'failed',
    trigger: 'test',
    algorithm: 'dbscan',
    parameters: JSON.stringify(DETECT_PARAMS),
    finished_at: db.knex.fn.now(),
    error: 'simulated failure',
  });
  const unscoredDay = dayBefore(day, 5);
  await simulateDay(db, { serviceDate: unscoredDay, rides: 200, seed: 8, timeZone: 'UTC' });

  await simulateDay(db, { serviceDate: day, rides: 6_000, seed: 42, timeZone: 'UTC', anomalyShare: 0.04 });
  // rides that only the validity rules flag: dropoff before pickup, negative distance, NaN distance
  await db.knex.raw(
    `insert into rides (ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date)
     select 'rule-' || i, 'T9999', ?::timestamptz + make_interval(mins => i),
            ?::timestamptz + make_interval(mins => case when i <= 3 then i - 5 else i + 12 end),
            case when i <= 3 then 2.5 when i <= 5 then -1.5 else 'NaN'::float8 end, ?::date
     from generate_series(1, 7) as i`,
    [`${day}T08:00:00Z`, `${day}T08:00:00Z`, day],
  );
  await scoreForTest(db, { serviceDate: day, params: DETECT_PARAMS, trigger: 'test' });

  const top = await db.knex('rides')
    .select('ride_id')
    .where({ service_date: day, is_outlier: true })
    .whereNotNull('outlier_score')
    .orderBy([{ column: 'outlier_score', order: 'desc' }, 'ride_id'])
    .limit(3);
  const zonedRideIds = top.map((r: { ride_id: string }) => r.ride_id);
  await db.knex('rides').where({ ride_id: zonedRideIds[0] }).update({ taxi_id: HOSTILE_TAXI_ID });
  const { rows } = await db.knex.raw(
    `select count(*)::int as n from information_schema.columns
     where table_schema = current_schema() and table_name = 'rides' and column_name = 'pickup_zone_id'`,
  );
  if (Number(rows[0].n) === 1) {
    // 132 JFK Airport (Queens) to 230 Times Sq/Theatre District (Manhattan)
    await db.knex('rides').whereIn('ride_id', zonedRideIds).update({ pickup_zone_id: 132, dropoff_zone_id: 230 });
  }
  return { reportDay: day, failedDays: [failedDay], unscoredDays: [unscoredDay], zonedRideIds };
}

/**
 * How many rides the scatter should draw, worked out here apart from the report's own SQL:
 * every outlier with finite, non-negative values, and at most 5,000 such normal rides.
 */
export async function expectedPlotted(db: Database, day: string): Promise<{ outliers: number; normal: number; total: number }> {
  const { rows } = await db.knex.raw(
    `select count(*) filter (where is_outlier)::int as outliers,
            count(*) filter (where not is_outlier)::int as normal
     from rides
     where service_date = ?::date
       and distance_km not in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) and distance_km >= 0
       and duration_min not in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) and duration_min >= 0`,
    [day],
  );
  const outliers = Number(rows[0].outliers);
  const normal = Math.min(5_000, Number(rows[0].normal));
  return { outliers, normal, total: outliers + normal };
}
