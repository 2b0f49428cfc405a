// `ridescan worker`: scores queued days (storage/jobQueue.ts) through the one pipeline, scoreDay,
// until told to stop. A job's result is the day's outcome: succeeded (a no_rides run too) and
// skipped complete the job; failed fails it, and pg-boss retries it within the queue's limit.
//
// While it works on a day a worker holds LOCKS.dayJob(day), taken before scoreDay and let go only
// after the job is marked done; for its whole life it holds LOCKS.workers in shared mode. Both die
// with the process, so that other workers retry a SIGKILLed worker's day after
// RIDESCAN_WORKER_RECOVERY_SECONDS, and `backfill --queue` and `schedule` know whether any worker
// is alive. The same loop runs inside `backfill --queue` on the embedded database.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Database } from '../../storage/database.js';
import { LOCKS } from '../../storage/locks.js';
import { markAbandonedRuns } from '../../storage/runs.js';
import { JobQueueNotInstalledError, openJobQueue, recoverOrphanedJobs, type JobData, type JobQueue } from '../../storage/jobQueue.js';
import type { DetectorParams } from '../../compute/detectOutliers.js';
import type { RidescanConfig } from '../config.js';
import { DatabaseError, errorMessage, EXIT, UsageError, type ExitCode } from '../errors.js';
import { IsoDate } from '../config.js';
import type { Logger } from '../logger.js';
import type { Alerts } from '../alerts.js';
import { withDatabase } from '../openDatabase.js';
import { scoreDay, type DayOutcome } from './scoreDay.js';

/** How often an idle worker asks for a job (pg-boss's polling is ours: fetch, not work). */
export const POLL_MS = 1000;

// Job data is an edge: whatever is in the table is checked before a day is scored. The
// parameters were built by the sending command's own flag parser (detectorParamsFromFlags).
const JobDataSchema = z.object({
  day: IsoDate,
  onlyIfNeeded: z.boolean(),
  recompute: z.boolean().optional(),
  params: z.record(z.string(), z.unknown()),
  queuedBy: z.string(),
});

/** A day's outcome as a job's output (jsonb), and what `backfill --queue` reads back. */
export const JobOutputSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('succeeded'), runId: z.number(), runStatus: z.string(), rides: z.number(), outliers: z.number(), flagsWritten: z.number(), attempts: z.number() }),
  z.object({ status: z.literal('failed'), error: z.string(), runId: z.number().optional(), attempts: z.number().optional() }),
  z.object({ status: z.literal('skipped'), why: z.string() }),
]);
export type JobOutput = z.infer<typeof JobOutputSchema>;

export function jobOutput(outcome: DayOutcome): JobOutput {
  if (outcome.status === 'succeeded') {
    const { run } = outcome;
    return { status: 'succeeded', runId: run.runId, runStatus: run.status, rides: run.rides, outliers: run.outliers, flagsWritten: run.flagsWritten, attempts: outcome.attempts };
  }
  if (outcome.status === 'failed') return { status: 'failed', error: outcome.error, runId: outcome.run?.runId, attempts: outcome.attempts };
  return { status: 'skipped', why: outcome.why };
}

export interface QueueWorkerOptions {
  /** days scored at once; at most the backend's profile allows */
  concurrency: number;
  log: Logger;
  /** RIDESCAN_WORKER_RECOVERY_SECONDS */
  recoverySeconds: number;
  tensorBackend?: RidescanConfig['tensorBackend'];
  /** told each day's outcome (RIDESCAN_ALERT_COMMAND), where the day is scored */
  alerts?: Alerts;
  /** how long an idle slot waits before asking again (default POLL_MS) */
  pollMs?: number;
  /** told each finished job (backfill --queue on the embedded database wakes on it) */
  onJob?: (day: string, outcome: DayOutcome) => void;
  /** told when a day starts, its job lock held (tests stop a worker mid-day with it) */
  onStart?: (day: string) => void;
}

export interface RunningWorker {
  /** stop taking jobs; the day in progress finishes and is marked done. Resolves when idle. */
  stop(): Promise<void>;
  /** resolves when every slot has stopped */
  stopped: Promise<void>;
  /** days in progress now */
  busy(): string[];
}

/** Runs the worker loop on an open queue until stop(). */
export function startQueueWorker(db: Database, queue: JobQueue, options: QueueWorkerOptions): RunningWorker {
  const { log } = options;
  const pollMs = options.pollMs ?? POLL_MS;
  let stopping = false;
  const wake = new AbortController();
  const inProgress = new Set<string>();

  const idle = async () => {
    await sleep(pollMs, undefined, { signal: wake.signal }).catch(() => {});
  };

  const workOn = async (job: { id: string; data: unknown; retryCount: number }) => {
    const parsed = JobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      log.error({ jobId: job.id, data: job.data }, 'a queued job without a valid day: failed');
      await queue.fail(job.id, { status: 'failed', error: `invalid job data: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` });
      return;
    }
    const data: JobData = parsed.data;
    const release = await db.tryLock(LOCKS.dayJob(data.day));
    if (!release) {
      // another worker holds this day's job (an expired one it still works on): as scoreDay does
      log.info({ day: data.day, jobId: job.id }, 'skipped: another worker holds this day');
      await queue.complete(job.id, jobOutput({ day: data.day, status: 'skipped', why: 'locked by another process' }));
      return;
    }
    inProgress.add(data.day);
    try {
      options.onStart?.(data.day);
      log.info({ day: data.day, jobId: job.id, queuedBy: data.queuedBy, retry: job.retryCount }, `working on ${data.day}`);
      const outcome = await scoreDay(db, data.day, {
        params: data.params as unknown as DetectorParams,
        trigger: 'worker',
        log,
        onlyIfNeeded: data.onlyIfNeeded,
        recompute: data.recompute === true,
        tensorBackend: options.tensorBackend,
      });
      await options.alerts?.afterDay(db, outcome, 'worker');
      // marked done before the day's job lock goes: a job never looks orphaned while it finishes
      if (outcome.status === 'failed') await queue.fail(job.id, jobOutput(outcome));
      else await queue.complete(job.id, jobOutput(outcome));
      options.onJob?.(data.day, outcome);
    } finally {
      inProgress.delete(data.day);
      await release();
    }
  };

  const slot = async () => {
    while (!stopping) {
      let job;
      try {
        job = await queue.fetch();
      } catch (error) {
        log.warn({ error: errorMessage(error) }, 'could not fetch a job; trying again');
      }
      if (!job) {
        await idle();
        continue;
      }
      try {
        await workOn(job);
      } catch (error) {
        // the queue itself failed (the database away): the job stays active, and once our lock
        // on its day is gone a live worker retries it
        log.error({ jobId: job.id, error: errorMessage(error) }, 'could not mark a job done; it is retried');
        await idle();
      }
    }
  };

  // Dead workers' days: checked a few times per recovery period, by every live worker.
  let recovering = false;
  const recover = async () => {
    if (recovering || stopping) return;
    recovering = true;
    try {
      const days = await recoverOrphanedJobs(db, queue, options.recoverySeconds);
      if (days.length > 0) {
        log.warn({ days, recoverySeconds: options.recoverySeconds }, `retrying ${days.join(', ')}: their worker ended before finishing`);
        const abandoned = await markAbandonedRuns(db);
        if (abandoned.length > 0) log.warn({ runIds: abandoned }, 'marked runs of processes that died mid-run as failed');
      }
    } catch (error) {
      log.warn({ error: errorMessage(error) }, 'could not check for jobs of dead workers');
    } finally {
      recovering = false;
    }
  };
  const timer = setInterval(() => void recover(), Math.max(500, Math.min(10_000, (options.recoverySeconds * 1000) / 3)));
  timer.unref();

  const slots = Math.min(db.profile.maxConcurrency, Math.max(1, options.concurrency));
  const stopped = Promise.all(Array.from({ length: slots }, slot)).then(() => {
    clearInterval(timer);
  });
  return {
    async stop() {
      stopping = true;
      wake.abort();
      clearInterval(timer);
      await stopped;
    },
    stopped,
    busy: () => [...inProgress],
  };
}

export interface WorkerRunOptions {
  config: RidescanConfig;
  concurrency: number;
  log: Logger;
  alerts?: Alerts;
  /** resolves when the worker is told to stop (SIGTERM/SIGINT); the CLI wires the signals */
  stopSignal: Promise<string>;
  /** told once the worker takes jobs (tests) */
  onStarted?: () => void;
}

/** `ridescan worker`: until stopSignal, then the day in progress finishes; exit 0. */
export async function runWorker(options: WorkerRunOptions): Promise<ExitCode> {
  const { config, log } = options;
  if (!config.databaseUrl) {
    // the embedded database belongs to one process: a worker would hold it for its whole life
    throw new UsageError(
      '`ridescan worker` needs a PostgreSQL server (set DATABASE_URL); on the embedded database `ridescan backfill --queue` runs its worker in its own process',
    );
  }
  return withDatabase(config, { requireSchema: true }, async (db) => {
    const queue = await openQueueOrExplain(db, config, log, true);
    // "a worker is alive", for backfill --queue and schedule; dies with this process
    const alive = await db.holdShared(LOCKS.workers());
    try {
      const worker = startQueueWorker(db, queue, {
        concurrency: options.concurrency,
        log,
        recoverySeconds: config.workerRecoverySeconds,
        tensorBackend: config.tensorBackend,
        alerts: options.alerts,
      });
      log.info(
        { database: db.describe, queue: queue.schema, concurrency: Math.min(db.profile.maxConcurrency, options.concurrency), recoverySeconds: config.workerRecoverySeconds },
        'worker started; waiting for queued days',
      );
      options.onStarted?.();
      const signal = await Promise.race([options.stopSignal, worker.stopped.then(() => null)]);
      const busy = worker.busy();
      if (busy.length > 0) log.info({ signal, days: busy }, `stopping: finishing ${busy.join(', ')}`);
      await worker.stop();
      log.info({ signal }, 'worker stopped');
      return EXIT.ok;
    } finally {
      await alive();
      await queue.close();
    }
  });
}

/** Opens the queue, with pg-boss's errors logged; a queue not installed is exit 3 with what to run. */
/** Whether any `ridescan worker` is running against this database: some session holds LOCKS.workers (runWorker). */
export async function workersAlive(db: Database): Promise<boolean> {
  return (await db.lockHolders(LOCKS.workers())) > 0;
}

export async function openQueueOrExplain(db: Database, config: RidescanConfig, log: Logger, supervise: boolean): Promise<JobQueue> {
  try {
    return await openJobQueue(db, {
      databaseUrl: config.databaseUrl,
      // pg-boss's supervisor (expiry, archiving) on a server only: on PGlite the one process's
      // worker cannot die apart from the process, and its statements would queue behind scoring
      supervise: supervise && db.profile.name === 'server',
      onError: (error) => log.warn({ error: error.message }, 'job queue error'),
    });
  } catch (error) {
    if (error instanceof JobQueueNotInstalledError) throw new DatabaseError(error.message);
    throw error;
  }
}

