// Where each service day stands: its rides, how many are unscored, its last run. The scheduler's
// catch-up, the backfill's plan and `ridescan status` all read this.
import type { Database } from './database.js';

// The SQL of this module, beside the functions that run it.

// Per service day with rides: counts, the last run and the last succeeded run.
const DAY_STATUS = `with days as (
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


export type DayState = 'never scored' | 'stale' | 'scored';

export interface DayStatus {
  day: string;
  rides: number;
  unscoredRides: number;
  lastRun: { id: number; status: string; startedAt: Date; finishedAt: Date | null } | null;
  lastSucceededRunId: number | null;
  /** never scored: no succeeded run; stale: scored, then given rides no run has scored */
  state: DayState;
}

/** Every day in [from, to] that has rides, in date order. */
export async function dayStatuses(db: Database, from: string, to: string): Promise<DayStatus[]> {
  const result = await db.knex.raw(DAY_STATUS, { from, to });
  return (
    result.rows as {
      day: string;
      rides: string | number;
      unscored: string | number;
      last_run_id: string | number | null;
      last_status: string | null;
      last_started_at: Date | string | null;
      last_finished_at: Date | string | null;
      last_succeeded_run_id: string | number | null;
    }[]
  ).map((r) => {
    const lastSucceededRunId = r.last_succeeded_run_id === null ? null : Number(r.last_succeeded_run_id);
    const unscoredRides = Number(r.unscored);
    return {
      day: r.day,
      rides: Number(r.rides),
      unscoredRides,
      lastRun:
        r.last_run_id === null
          ? null
          : {
              id: Number(r.last_run_id),
              status: r.last_status!,
              startedAt: new Date(r.last_started_at!),
              finishedAt: r.last_finished_at === null ? null : new Date(r.last_finished_at),
            },
      lastSucceededRunId,
      state: lastSucceededRunId === null ? 'never scored' : unscoredRides > 0 ? 'stale' : 'scored',
    };
  });
}
