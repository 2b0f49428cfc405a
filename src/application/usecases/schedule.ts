// `ridescan schedule`: a long-running process that runs the nightly job on a cron expression in
// the database's service time zone (read at start), catching up at start and on every tick. node-cron's noOverlap keeps a
// tick from starting while the previous one runs; the per-day advisory lock keeps two
// schedulers (or a scheduler and a backfill) off the same day. The database is opened per tick,
// so that the embedded one is free for other commands between ticks.
import cron from 'node-cron';
import type { Database } from '../../storage/database.js';
import type { DetectorParams } from '../../compute/detectOutliers.js';
import { migrateToLatest } from '../../storage/migrate.js';
import { installJobQueue } from '../../storage/jobQueue.js';
import { openQueueOrExplain, workersAlive } from './worker.js';
import type { RidescanConfig } from '../config.js';
import { errorMessage, EXIT, UsageError, type ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { databaseSettings, withDatabase } from '../openDatabase.js';
import type { DayOutcome } from './scoreDay.js';
import type { Alerts } from '../alerts.js';

export interface NightlyTickOptions {
  now: Date;
  timeZone: string;
  catchUpDays: number;
  params: DetectorParams;
  tensorBackend?: RidescanConfig['tensorBackend'];
  log: Logger;
  /** checked between days: a stopping scheduler starts no new day */
  shouldStop?: () => boolean;
  /** told each day's outcome and the days without rides (RIDESCAN_ALERT_COMMAND) */
  alerts?: Alerts;
  /** on a server: the job queue, for ticks that find `ridescan worker` processes alive */
  queue?: TickQueue;
}

/** What a tick needs of the job queue: whether workers are alive, and queueing days for them. */
export interface TickQueue {
  workersAlive(): Promise<boolean>;
  /** queues the days (each at most once); returns how many were queued anew */
  enqueue(days: string[], params: DetectorParams): Promise<number>;
}

/** A job the scheduler runs on every tick; defined in jobs/, wired in by the entry point. */
export interface NightlyJob {
  name: string;
  defaultCatchUpDays: number;
  tick(db: Database, options: NightlyTickOptions): Promise<DayOutcome[]>;
}

export interface SchedulerOptions {
  job: NightlyJob;
  config: RidescanConfig;
  cron: string;
  catchUpDays: number;
  once: boolean;
  params: DetectorParams;
  log: Logger;
  /** how long a run in progress may take to finish after SIGTERM/SIGINT */
  graceMs: number;
  /** handed to every tick; kept for the scheduler's life, so an empty day is said once */
  alerts?: Alerts;
}

/** The queue as a tick sees it; opened only when workers are alive, for the tick's enqueueing. */
function tickQueue(db: Database, config: RidescanConfig, log: Logger): TickQueue {
  return {
    workersAlive: () => workersAlive(db),
    async enqueue(days, params) {
      const queue = await openQueueOrExplain(db, config, log, false);
      try {
        let queued = 0;
        for (const day of days) {
          const { alreadyQueued } = await queue.send({ day, onlyIfNeeded: true, params: { ...params }, queuedBy: 'schedule' });
          if (!alreadyQueued) queued++;
        }
        return queued;
      } finally {
        await queue.close();
      }
    },
  };
}

export function validateCron(expression: string): void {
  if (!cron.validate(expression)) throw new UsageError(`--cron: '${expression}' is not a cron expression (for example '15 2 * * *')`);
}

export async function runScheduler(options: SchedulerOptions): Promise<ExitCode> {
  validateCron(options.cron);
  const { log } = options;
  let stopping = false;
  let failedDays = 0;

  const { job } = options;
  // Schema first, under the migration lock, so that a fresh database works on the first tick;
  // then the zone the cron ticks in: the database's.
  const timeZone = await withDatabase(options.config, { requireSchema: false }, async (db) => {
    await migrateToLatest(db);
    const queue = await installJobQueue(db, options.config.databaseUrl);
    if (queue.notInstalled) {
      log.warn({ schema: queue.schema, ...queue.notInstalled }, 'the job queue is not installed (this login may not create schemas): days are scored here, not by workers; see ridescan migrate');
    }
    return (await databaseSettings(options.config, db)).timeZone.zone;
  });
  const tick = (): Promise<DayOutcome[]> =>
    withDatabase(options.config, { requireSchema: true }, (db, settings) => {
      // each tick reads the zone again: the day that just ended is the database's, even when
      // `ridescan time-zone` changed it since the start; only the tick's hour needs a restart
      if (settings.timeZone.zone !== timeZone) {
        log.warn({ timeZone: settings.timeZone.zone, cronTimeZone: timeZone }, 'the service time zone changed since the scheduler started: restart it to tick in the new zone');
      }
      return job.tick(db, {
        now: new Date(),
        timeZone: settings.timeZone.zone,
        catchUpDays: options.catchUpDays,
        params: options.params,
        tensorBackend: options.config.tensorBackend,
        log,
        shouldStop: () => stopping,
        alerts: options.alerts,
        queue: db.profile.name === 'server' ? tickQueue(db, options.config, log) : undefined,
      });
    });
  const tickAndCount = async () => {
    try {
      const outcomes = await tick();
      failedDays += outcomes.filter((o) => o.status === 'failed').length;
    } catch (error) {
      failedDays++;
      log.error({ error: errorMessage(error) }, 'tick failed');
    }
  };

  if (options.once) {
    log.info({ job: job.name, catchUpDays: options.catchUpDays }, 'one tick (--once)');
    await tickAndCount();
    return failedDays > 0 ? EXIT.failed : EXIT.ok;
  }

  let current: Promise<void> | null = null;
  const guardedTick = () => {
    if (stopping || current) return current ?? Promise.resolve();
    current = tickAndCount().finally(() => {
      current = null;
      if (!stopping) log.info({ nextTick: task.getNextRun()?.toISOString() }, 'waiting for the next tick');
    });
    return current;
  };
  const task = cron.schedule(options.cron, guardedTick, {
    name: job.name,
    timezone: timeZone,
    noOverlap: true,
  });
  log.info({ cron: options.cron, timeZone, nextTick: task.getNextRun()?.toISOString() }, 'scheduler started; catching up');
  void guardedTick();

  return new Promise<ExitCode>((resolve) => {
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      await task.destroy();
      if (!current) {
        log.info({ signal }, 'stopped');
        resolve(EXIT.ok);
        return;
      }
      log.info({ signal, graceSeconds: options.graceMs / 1000 }, 'stopping: letting the run in progress finish');
      const timer = setTimeout(() => {
        // The open transaction dies with the process: the day's previous flags stay, and the run
        // stays 'running' until the next start marks it failed (markAbandonedRuns).
        log.error({ signal }, 'grace period over: abandoning the run in progress');
        process.exit(EXIT.failed);
      }, options.graceMs);
      await current;
      clearTimeout(timer);
      log.info({ signal }, 'stopped after the run in progress finished');
      // A clean stop is exit 0 whether or not it waited for a run: failed days are in the run
      // history and the alerts, not in the exit code of a service that ran for months.
      resolve(EXIT.ok);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
