// `ridescan backfill`: scores every service day of a range through the same job code as the
// schedule, and returns a result per calendar day instead of stopping at the first failure
// (as kysely's migrator returns a result per migration).
import type { Database } from '../../storage/database.js';
import { dayStatuses, type DayState } from '../../storage/dayStatus.js';
import type { DetectorParams } from '../../compute/detectOutliers.js';
import type { TensorBackendName } from '../../compute/tensorBackend.js';
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import { scoreDay, type DayOutcome } from './scoreDay.js';
import { datesBetween } from '../serviceDays.js';
import type { Logger } from '../logger.js';
import type { Alerts } from '../alerts.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { finishedJobs, jobError, type FinalJobState } from '../../storage/jobQueue.js';
import { errorMessage, NoWorkerError } from '../errors.js';
import { JobOutputSchema, openQueueOrExplain, startQueueWorker, workersAlive, type RunningWorker } from './worker.js';

export interface BackfillSelection {
  from: string;
  to: string;
  /** only days without a succeeded run */
  onlyMissing: boolean;
  /** only days whose flags went stale; with onlyMissing: days that are either */
  stale: boolean;
}

export interface PlannedDay {
  day: string;
  rides: number;
  state: DayState;
  action: 'score' | 'skip';
  why?: string;
}

export async function planBackfill(db: Database, selection: BackfillSelection): Promise<PlannedDay[]> {
  const statuses = new Map((await dayStatuses(db, selection.from, selection.to)).map((s) => [s.day, s]));
  const narrowed = selection.onlyMissing || selection.stale;
  return datesBetween(selection.from, selection.to).map((day): PlannedDay => {
    const status = statuses.get(day);
    if (!status || status.state === 'no rides') return { day, rides: 0, state: 'no rides', action: 'skip', why: 'no rides' };
    // its rides were dropped on purpose: nothing to score, nothing to alert on
    if (status.state === 'pruned') return { day, rides: 0, state: 'pruned', action: 'skip', why: 'pruned' };
    const base = { day, rides: status.rides, state: status.state };
    if (!narrowed) return { ...base, action: 'score' };
    if (selection.onlyMissing && status.state === 'never scored') return { ...base, action: 'score' };
    if (selection.stale && status.state === 'stale') return { ...base, action: 'score' };
    return { ...base, action: 'skip', why: status.state === 'stale' ? 'stale, not selected (add --stale)' : 'already scored' };
  });
}

/**
 * A day's result as backfill reports it: the pipeline's outcome (DayOutcome is one), or, with
 * --queue, the same read back from the day's job.
 */
export type DayResult =
  | { day: string; status: 'succeeded'; run: { runId: number; rides: number; outliers: number; flagsWritten: number }; attempts: number }
  | { day: string; status: 'failed'; error: string; run?: { runId: number }; attempts: number }
  | { day: string; status: 'skipped'; why: string };

export interface BackfillProgress {
  daysDone: number;
  daysToScore: number;
  ridesDone: number;
  last: DayResult;
}

export interface BackfillOptions {
  params: DetectorParams;
  tensorBackend?: TensorBackendName;
  /** re-check each selected day under its lock (selective backfills: --only-missing, --stale) */
  onlyIfNeeded: boolean;
  /** compute every day, even one whose last result could stand (scoreDay's recompute) */
  recompute?: boolean;
  concurrency: number;
  log: Logger;
  onProgress?: (progress: BackfillProgress) => void;
  /** checked before each day: Ctrl-C lets the days in progress finish and starts no new one */
  shouldStop?: () => boolean;
  /** told the range's days without rides, and each day's outcome (RIDESCAN_ALERT_COMMAND) */
  alerts?: Alerts;
}

export async function runBackfill(db: Database, plan: PlannedDay[], options: BackfillOptions): Promise<DayOutcome[]> {
  const outcomes = new Map<string, DayOutcome>();
  for (const p of plan) if (p.action === 'skip') outcomes.set(p.day, { day: p.day, status: 'skipped', why: p.why ?? 'skipped' });
  const queue = plan.filter((p) => p.action === 'score');
  await options.alerts?.daysWithoutRides(db, plan.filter((p) => p.action === 'skip' && p.state === 'no rides').map((p) => p.day), 'backfill');
  const progress = { daysDone: 0, daysToScore: queue.length, ridesDone: 0 };
  // More workers than the backend runs statements at once would only queue (PGlite: one).
  const workers = Math.min(db.profile.maxConcurrency, Math.max(1, options.concurrency));
  let next = 0;
  const work = async () => {
    while (next < queue.length) {
      const item = queue[next++];
      if (options.shouldStop?.()) {
        outcomes.set(item.day, { day: item.day, status: 'skipped', why: 'interrupted (run again with --only-missing)' });
        continue;
      }
      const outcome = await scoreDay(db, item.day, {
        params: options.params,
        trigger: 'backfill',
        log: options.log,
        onlyIfNeeded: options.onlyIfNeeded,
        recompute: options.recompute,
        tensorBackend: options.tensorBackend,
      });
      outcomes.set(item.day, outcome);
      await options.alerts?.afterDay(db, outcome, 'backfill');
      progress.daysDone++;
      if (outcome.status === 'succeeded') progress.ridesDone += outcome.run.rides;
      options.onProgress?.({ ...progress, last: outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, Math.max(1, queue.length)) }, work));
  return plan.map((p) => outcomes.get(p.day)!);
}

/** How often `backfill --queue` reads its jobs' states (a server; the embedded database is woken by its worker). */
const FOLLOW_MS = 500;

export interface QueuedBackfill {
  outcomes: DayResult[];
  /** the workers went away while days were still queued: they stay queued, and the exit code says so */
  workersGone: boolean;
}

/**
 * `backfill --queue`: one job per day to score (a day already queued is followed, not queued
 * twice), then the jobs followed to their end, with the same results and progress as runBackfill.
 * On a server the days are scored by `ridescan worker` processes, and with none alive nothing is
 * queued (NoWorkerError, exit 4); on the embedded database a worker runs in this process.
 */
export async function runQueuedBackfill(db: Database, config: RidescanConfig, plan: PlannedDay[], options: BackfillOptions): Promise<QueuedBackfill> {
  const { log } = options;
  const embedded = db.profile.name === 'embedded';
  const queue = await openQueueOrExplain(db, config, log, false);
  let inProcess: RunningWorker | undefined;
  const wake = { abort: new AbortController() };
  try {
    if (!embedded && !(await workersAlive(db))) {
      throw new NoWorkerError(
        `no worker is running: start \`ridescan worker\` on a machine that reaches ${db.describe} (docs/operations.md), ` +
          'or run backfill without --queue; nothing was queued',
      );
    }
    const outcomes = new Map<string, DayResult>();
    for (const p of plan) if (p.action === 'skip') outcomes.set(p.day, { day: p.day, status: 'skipped', why: p.why ?? 'skipped' });
    await options.alerts?.daysWithoutRides(db, plan.filter((p) => p.action === 'skip' && p.state === 'no rides').map((p) => p.day), 'backfill');
    const dayOf = new Map<string, string>();
    for (const p of plan.filter((d) => d.action === 'score')) {
      const { id, alreadyQueued } = await queue.send({
        day: p.day,
        onlyIfNeeded: options.onlyIfNeeded,
        ...(options.recompute ? { recompute: true } : {}),
        params: { ...options.params },
        queuedBy: 'backfill',
      });
      if (alreadyQueued) log.info({ day: p.day, jobId: id }, `${p.day} was already queued: following that job`);
      dayOf.set(id, p.day);
    }
    log.info({ days: dayOf.size, queue: queue.schema }, `queued ${dayOf.size} day(s)`);
    if (embedded) {
      inProcess = startQueueWorker(db, queue, {
        concurrency: 1,
        log,
        recoverySeconds: config.workerRecoverySeconds,
        tensorBackend: options.tensorBackend,
        alerts: options.alerts,
        onJob: () => wake.abort.abort(),
      });
    }
    const progress = { daysDone: 0, daysToScore: dayOf.size, ridesDone: 0 };
    let workersGone = false;
    let lastWorkerCheck = Date.now();
    let unreadable = 0;
    while (dayOf.size > 0) {
      let finished: Awaited<ReturnType<typeof finishedJobs>> = [];
      try {
        finished = await finishedJobs(db, queue.schema, [...dayOf.keys()]);
        unreadable = 0;
      } catch (error) {
        // the server away for a moment (a restart): the jobs go on without us; read again, and
        // give up only after a minute of failures, with the days still queued
        if (++unreadable * FOLLOW_MS > 60_000) throw error;
        log.warn({ error: errorMessage(error) }, 'could not read the queued days; trying again');
      }
      for (const job of finished) {
        const day = dayOf.get(job.id)!;
        dayOf.delete(job.id);
        const result = resultOfJob(day, job.state, job.output);
        outcomes.set(day, result);
        progress.daysDone++;
        if (result.status === 'succeeded') progress.ridesDone += result.run.rides;
        options.onProgress?.({ ...progress, last: result });
      }
      if (dayOf.size === 0) break;
      if (options.shouldStop?.()) break;
      if (!embedded && Date.now() - lastWorkerCheck > config.workerRecoverySeconds * 1000) {
        lastWorkerCheck = Date.now();
        if (!(await workersAlive(db))) {
          workersGone = true;
          break;
        }
      }
      await sleep(FOLLOW_MS, undefined, { signal: wake.abort.signal }).catch(() => {});
      if (wake.abort.signal.aborted) wake.abort = new AbortController();
    }
    if (dayOf.size > 0) {
      if (inProcess) {
        // the embedded database's days are this process's to score: none is left queued behind
        await inProcess.stop();
        inProcess = undefined;
        for (const job of await finishedJobs(db, queue.schema, [...dayOf.keys()])) {
          const day = dayOf.get(job.id)!;
          outcomes.set(day, resultOfJob(day, job.state, job.output));
          dayOf.delete(job.id);
        }
        await queue.cancel([...dayOf.keys()]);
      }
      const why = embedded
        ? 'interrupted (run again with --only-missing)'
        : workersGone
          ? 'still queued: no worker is running (start `ridescan worker`)'
          : 'interrupted: still queued, a worker scores it';
      for (const day of dayOf.values()) outcomes.set(day, { day, status: 'skipped', why });
      if (!embedded) log.warn({ days: [...dayOf.values()] }, `${dayOf.size} day(s) stay queued for the workers (\`ridescan status\` shows the queue)`);
    }
    return { outcomes: plan.map((p) => outcomes.get(p.day)!), workersGone };
  } finally {
    await inProcess?.stop();
    await queue.close();
  }
}

/** A finished job as the day's result, from the output the worker wrote (usecases/worker.ts). */
export function resultOfJob(day: string, state: FinalJobState, output: unknown): DayResult {
  if (state === 'cancelled') return { day, status: 'skipped', why: 'cancelled in the queue' };
  const parsed = JobOutputSchema.safeParse(output);
  if (!parsed.success || state === 'failed') {
    // failed for good: the worker's error, or pg-boss's own (an expiry)
    const o = parsed.success && parsed.data.status === 'failed' ? parsed.data : undefined;
    return { day, status: 'failed', error: o?.error ?? jobError(output), run: o?.runId !== undefined ? { runId: o.runId } : undefined, attempts: o?.attempts ?? 1 };
  }
  const o = parsed.data;
  if (o.status === 'succeeded') return { day, status: 'succeeded', run: { runId: o.runId, rides: o.rides, outliers: o.outliers, flagsWritten: o.flagsWritten }, attempts: o.attempts };
  if (o.status === 'skipped') return { day, status: 'skipped', why: o.why };
  return { day, status: 'failed', error: o.error, run: o.runId !== undefined ? { runId: o.runId } : undefined, attempts: o.attempts ?? 1 };
}

/** `ridescan backfill`: plan the range, then (unless a dry run) score it, on the configured database. */
export async function backfill(
  config: RidescanConfig,
  selection: BackfillSelection,
  options: Omit<BackfillOptions, 'tensorBackend'> & { dryRun: boolean; queue?: boolean },
): Promise<{ plan: PlannedDay[]; outcomes: DayResult[] | null; workersGone?: boolean }> {
  return withDatabase(config, { requireSchema: true }, async (db) => {
    const plan = await planBackfill(db, selection);
    if (options.dryRun) return { plan, outcomes: null };
    if (options.queue) return { plan, ...(await runQueuedBackfill(db, config, plan, { ...options, tensorBackend: config.tensorBackend })) };
    return { plan, outcomes: await runBackfill(db, plan, { ...options, tensorBackend: config.tensorBackend }) };
  });
}
