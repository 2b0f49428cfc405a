// The run history: every detection run is a row, failed and unfinished ones too.
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { processAlive } from './adapters/processAlive.js';

// The SQL of this module, beside the functions that run it.

// Runs left 'running' by a process of this host that no longer exists.
const ABANDONED_RUNS = `select id, pid from detection_runs
  where status = 'running' and hostname = ? and pid is not null and pid <> ?`;

// The latest succeeded run's feature summary per day, for the days before :day.
const TRAILING_SUMMARIES = `select feature_summary from (
    select distinct on (service_date) service_date, feature_summary
    from detection_runs
    where status = 'succeeded' and feature_summary is not null
      and service_date < :day::date and service_date >= :day::date - :days::int
    order by service_date, id desc
  ) latest
  order by service_date`;


export type RunStatus = 'running' | 'succeeded' | 'failed' | 'no_rides';

export interface RunStart {
  serviceDate: string;
  trigger: string;
  algorithm: string;
  parameters: Record<string, unknown>;
}

export interface RunOutcome {
  scaler: Record<string, unknown> | null;
  tensorBackend: string | null;
  ridesScored: number;
  outliers: number;
  outliersByReason: Record<string, number>;
  clusters: Record<string, unknown>;
  flagsWritten: number;
  timings: Record<string, number>;
  /** the parameters as asked for, plus what they resolved to ('auto' eps, defaults) */
  parameters: Record<string, unknown>;
  featureSummary: Record<string, unknown>;
  drift: Record<string, unknown>;
  driftWarning: boolean;
  /** the inputs' and the flags' digest (usecases/resultDigest.ts); null when not taken */
  resultDigest: string | null;
  /** the run whose result this one recorded again, computing nothing */
  reusedRunId: number | null;
}

export interface RunRow {
  id: number;
  service_date: string;
  status: RunStatus;
  trigger: string;
  algorithm: string;
  parameters: Record<string, unknown>;
  scaler: Record<string, unknown> | null;
  tensor_backend: string | null;
  started_at: Date;
  finished_at: Date | null;
  rides_scored: number | null;
  outliers: number | null;
  outliers_by_reason: Record<string, number> | null;
  clusters: Record<string, unknown> | null;
  flags_written: number | null;
  timings: Record<string, number> | null;
  error: string | null;
  feature_summary: Record<string, unknown> | null;
  drift: { verdict: string; drifted: string[] } | null;
  drift_warning: boolean;
  hostname: string | null;
  pid: number | null;
  result_digest: string | null;
  reused_run_id: number | string | null;
}

/** Records a run as started (committed at once, so that a crash leaves it visibly unfinished). */
export async function startRun(db: Database, run: RunStart): Promise<number> {
  const [row] = await db.knex('detection_runs')
    .insert({
      service_date: run.serviceDate,
      trigger: run.trigger,
      algorithm: run.algorithm,
      parameters: JSON.stringify(run.parameters),
      hostname: hostname(),
      pid: process.pid,
    })
    .returning('id');
  return Number(row.id);
}

/** Marks a run succeeded; called inside the transaction that writes the day's flags. */
export async function finishRunSucceeded(trx: Knex.Transaction, runId: number, outcome: RunOutcome): Promise<void> {
  await trx('detection_runs')
    .where({ id: runId })
    .update({
      status: 'succeeded',
      finished_at: trx.fn.now(),
      scaler: outcome.scaler === null ? null : JSON.stringify(outcome.scaler),
      tensor_backend: outcome.tensorBackend,
      rides_scored: outcome.ridesScored,
      outliers: outcome.outliers,
      outliers_by_reason: JSON.stringify(outcome.outliersByReason),
      clusters: JSON.stringify(outcome.clusters),
      flags_written: outcome.flagsWritten,
      timings: JSON.stringify(outcome.timings),
      parameters: JSON.stringify(outcome.parameters),
      feature_summary: JSON.stringify(outcome.featureSummary),
      drift: JSON.stringify(outcome.drift),
      drift_warning: outcome.driftWarning,
      result_digest: outcome.resultDigest,
      reused_run_id: outcome.reusedRunId,
    });
}

/** Marks a run as having found no rides for its day: recorded, but the day is not scored. */
export async function finishRunNoRides(db: Database, runId: number, outcome: Pick<RunOutcome, 'tensorBackend' | 'timings' | 'parameters'>): Promise<void> {
  await db.knex('detection_runs')
    .where({ id: runId })
    .update({
      status: 'no_rides',
      finished_at: db.knex.fn.now(),
      tensor_backend: outcome.tensorBackend,
      rides_scored: 0,
      outliers: 0,
      flags_written: 0,
      timings: JSON.stringify(outcome.timings),
      parameters: JSON.stringify(outcome.parameters),
    });
}

export async function finishRunFailed(db: Database, runId: number, error: unknown): Promise<void> {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  await db.knex('detection_runs')
    .where({ id: runId })
    .update({ status: 'failed', finished_at: db.knex.fn.now(), error: text.slice(0, 4000) });
}

function runColumns(db: Database) {
  return ['*', db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as service_date`)];
}

export async function getRun(db: Database, runId: number): Promise<RunRow | undefined> {
  return db.knex('detection_runs')
    .select(runColumns(db))
    .where({ id: runId })
    .first();
}

/** The day's latest succeeded run: the one whose flags the day carries. */
export async function latestSucceededRun(db: Database, serviceDate: string): Promise<RunRow | undefined> {
  return db.knex('detection_runs')
    .select(runColumns(db))
    .where({ service_date: serviceDate, status: 'succeeded' })
    .orderBy('id', 'desc')
    .first();
}

export async function listRuns(db: Database, options: { serviceDate?: string; limit?: number } = {}): Promise<RunRow[]> {
  const query = db.knex('detection_runs')
    .select(runColumns(db))
    .orderBy('id', 'desc')
    .limit(options.limit ?? 20);
  if (options.serviceDate) query.where({ service_date: options.serviceDate });
  return query;
}

/**
 * Marks as failed the runs that a process of this host left 'running' and that is gone (killed,
 * crashed, power cut): the flags of their days were never touched (the write is one
 * transaction), and the run history should say the run did not finish.
 */
export async function markAbandonedRuns(db: Database): Promise<number[]> {
  const { rows } = await db.knex.raw(ABANDONED_RUNS, [hostname(), process.pid]);
  const gone = (rows as { id: number | string; pid: number }[]).filter((r) => !processAlive(r.pid));
  for (const r of gone) {
    await db.knex('detection_runs')
      .where({ id: Number(r.id), status: 'running' })
      .update({ status: 'failed', finished_at: db.knex.fn.now(), error: `abandoned: process ${r.pid} ended before the run finished; the day's previous flags were kept` });
  }
  return gone.map((r) => Number(r.id));
}

/**
 * Feature summaries of the days before `serviceDate` (at most `days` back), from each day's latest
 * succeeded run, oldest first: the trailing window a new run is checked for drift against.
 */
export async function trailingSummaries(db: Database, serviceDate: string, days: number): Promise<Record<string, unknown>[]> {
  const { rows } = await db.knex.raw(TRAILING_SUMMARIES, { day: serviceDate, days });
  return (rows as { feature_summary: Record<string, unknown> }[]).map((r) => r.feature_summary);
}

// The latest succeeded run's flag rate per day, for the days before :day (alerts' normal range).
const TRAILING_FLAG_RATES = `select outliers::float8 / rides_scored as flag_rate from (
    select distinct on (service_date) service_date, outliers, rides_scored
    from detection_runs
    where status = 'succeeded' and rides_scored > 0
      and service_date < :day::date and service_date >= :day::date - :days::int
    order by service_date, id desc
  ) latest
  order by service_date`;

/** Flag rates (outliers / rides scored) of the days before `serviceDate`, from each day's latest succeeded run. */
export async function trailingFlagRates(db: Database, serviceDate: string, days: number): Promise<number[]> {
  const { rows } = await db.knex.raw(TRAILING_FLAG_RATES, { day: serviceDate, days });
  return (rows as { flag_rate: number | string }[]).map((r) => Number(r.flag_rate));
}
