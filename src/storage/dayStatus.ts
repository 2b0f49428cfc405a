// Where each service day stands: its rides, how many are unscored, its last run. The scheduler's
// catch-up, the backfill's plan and `ridescan status` all read this.
import type { Database } from './database.js';

// The SQL of this module, beside the functions that run it.

// Per service day with rides, or with a run (a run that found no rides): counts, the last run
// and the last succeeded run.
const DAY_STATUS = `with ride_days as (
    select service_date, count(*) as rides, count(*) filter (where is_outlier is null) as unscored,
      count(*) filter (where is_outlier) as outliers
    from rides where service_date between :from::date and :to::date
    group by service_date
  ), days as (
    select * from ride_days
    union all
    select distinct service_date, 0, 0, 0 from detection_runs
    where service_date between :from::date and :to::date
      and service_date not in (select service_date from ride_days)
  ), last_run as (
    select distinct on (service_date) service_date, id, status, started_at, finished_at
    from detection_runs where service_date between :from::date and :to::date
    order by service_date, id desc
  ), last_ok as (
    select service_date, max(id) as id from detection_runs
    where status = 'succeeded' and service_date between :from::date and :to::date
    group by service_date
  )
  select to_char(d.service_date, 'YYYY-MM-DD') as day, d.rides, d.unscored, d.outliers,
    d.rides = 0 and exists (select 1 from prunes p where d.service_date = any (p.days)) as pruned,
    lr.id as last_run_id, lr.status as last_status, lr.started_at as last_started_at,
    lr.finished_at as last_finished_at, lo.id as last_succeeded_run_id
  from days d
  left join last_run lr using (service_date)
  left join last_ok lo using (service_date)
  order by d.service_date`;


export type DayState = 'never scored' | 'stale' | 'scored' | 'no rides' | 'pruned';

export interface DayStatus {
  day: string;
  rides: number;
  unscoredRides: number;
  /** rides flagged as outliers by their latest scoring */
  outliers: number;
  lastRun: { id: number; status: string; startedAt: Date; finishedAt: Date | null } | null;
  lastSucceededRunId: number | null;
  /**
   * never scored: rides, no succeeded run; stale: scored, then given rides no run has scored;
   * no rides: a run found the day empty (and it still is); pruned: `ridescan prune` dropped its
   * rides (and none was loaded since), its runs kept
   */
  state: DayState;
}

/** Every day in [from, to] that has rides or a run, in date order. */
export async function dayStatuses(db: Database, from: string, to: string): Promise<DayStatus[]> {
  const result = await db.knex.raw(DAY_STATUS, { from, to });
  return (
    result.rows as {
      day: string;
      rides: string | number;
      unscored: string | number;
      outliers: string | number;
      pruned: boolean;
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
      outliers: Number(r.outliers),
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
      state: Number(r.rides) === 0 ? (r.pruned ? 'pruned' : 'no rides') : lastSucceededRunId === null ? 'never scored' : unscoredRides > 0 ? 'stale' : 'scored',
    };
  });
}

/** The earliest service day with rides, or null for an empty database (an index lookup). */
export async function firstServiceDay(db: Database): Promise<string | null> {
  const { rows } = await db.knex.raw(`select to_char(min(service_date), 'YYYY-MM-DD') as day from rides`);
  return (rows as { day: string | null }[])[0]?.day ?? null;
}

// The flagged rides of each day of a range, by reason (the counts come with DAY_STATUS's scan).
const DAY_REASONS = `select to_char(service_date, 'YYYY-MM-DD') as day, outlier_reason as reason, count(*) as n
  from rides where is_outlier and service_date between :from::date and :to::date
  group by service_date, outlier_reason
  order by service_date, n desc, outlier_reason`;

export interface DayOverview extends Omit<DayStatus, 'state'> {
  /** empty: no rides and no run at all (nothing was loaded); the others as in DayStatus */
  state: DayState | 'empty';
  /** rides − unscored rides */
  ridesScored: number;
  /** outliers / rides scored; null when no ride is scored */
  flagRate: number | null;
  /** flagged rides by reason, most frequent first */
  reasons: { reason: string; rides: number }[];
}

/**
 * Every calendar day of [from, to], days without rides included (`empty`), with its counts, flag
 * rate and reasons: what `ridescan status` prints. One row per day is kept in memory.
 */
export async function dayOverview(db: Database, from: string, to: string, dates: string[]): Promise<DayOverview[]> {
  const statuses = await dayStatuses(db, from, to);
  const reasons = (await db.knex.raw(DAY_REASONS, { from, to })).rows as { day: string; reason: string | null; n: string | number }[];
  const statusOf = new Map(statuses.map((s) => [s.day, s]));
  const reasonsOf = new Map<string, { reason: string; rides: number }[]>();
  for (const r of reasons) {
    const list = reasonsOf.get(r.day) ?? [];
    list.push({ reason: r.reason ?? 'unknown', rides: Number(r.n) });
    reasonsOf.set(r.day, list);
  }
  return dates.map((day): DayOverview => {
    const status = statusOf.get(day);
    const base = status ?? { day, rides: 0, unscoredRides: 0, outliers: 0, lastRun: null, lastSucceededRunId: null };
    const ridesScored = base.rides - base.unscoredRides;
    return {
      ...base,
      state: status?.state ?? 'empty',
      ridesScored,
      flagRate: ridesScored > 0 ? base.outliers / ridesScored : null,
      reasons: reasonsOf.get(day) ?? [],
    };
  });
}
