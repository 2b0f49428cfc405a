// `ridescan schedule`: a long-running process that runs the nightly job on a cron expression in
// the service time zone, catching up at start and on every tick. node-cron's noOverlap keeps a
// tick from starting while the previous one runs; the per-day advisory lock keeps two
// schedulers (or a scheduler and a backfill) off the same day. The database is opened per tick,
// so that the embedded one is free for other commands between ticks.
import cron from 'node-cron';
import { NIGHTLY_JOB, nightlyTick } from '../../jobs/nightly.js';
import type { DetectorParams } from '../compute/detectOutliers.js';
import { migrateToLatest } from '../storage/migrate.js';
import type { RidescanConfig } from './config.js';
import { EXIT, CliError } from './exitCodes.js';
import type { Logger } from './logger.js';
import { openConfiguredDatabase } from './openConfiguredDatabase.js';
import type { DayOutcome } from './scoreServiceDay.js';

export interface SchedulerOptions {
  config: RidescanConfig;
  cron: string;
  catchUpDays: number;
  once: boolean;
  params: DetectorParams;
  log: Logger;
  /** how long a run in progress may take to finish after SIGTERM/SIGINT */
  graceMs: number;
}

export function validateCron(expression: string): void {
  if (!cron.validate(expression)) {
    throw new CliError(`RIDESCAN_CRON / --cron: '${expression}' is not a cron expression (for example '15 2 * * *')`, EXIT.usage);
  }
}

export async function runScheduler(options: SchedulerOptions): Promise<number> {
  validateCron(options.cron);
  const { log } = options;
  let stopping = false;
  let failedDays = 0;

  const tick = async (): Promise<DayOutcome[]> => {
    const db = await openConfiguredDatabase(options.config, { requireSchema: true });
    try {
      return await nightlyTick(db, {
        now: new Date(),
        timeZone: options.config.timeZone,
        catchUpDays: options.catchUpDays,
        params: options.params,
        log,
        shouldStop: () => stopping,
      });
    } finally {
      await db.close();
    }
  };
  const tickAndCount = async () => {
    try {
      const outcomes = await tick();
      failedDays += outcomes.filter((o) => o.status === 'failed').length;
    } catch (error) {
      failedDays++;
      log.error({ error: error instanceof Error ? error.message : String(error) }, 'tick failed');
    }
  };

  // Schema first, under the migration lock, so that a fresh database works on the first tick.
  const db = await openConfiguredDatabase(options.config, { requireSchema: false });
  try {
    await migrateToLatest(db);
  } finally {
    await db.close();
  }

  if (options.once) {
    log.info({ job: NIGHTLY_JOB.name, catchUpDays: options.catchUpDays }, 'one tick (--once)');
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
    name: NIGHTLY_JOB.name,
    timezone: options.config.timeZone,
    noOverlap: true,
  });
  log.info({ cron: options.cron, timeZone: options.config.timeZone, nextTick: task.getNextRun()?.toISOString() }, 'scheduler started; catching up');
  void guardedTick();

  return new Promise<number>((resolve) => {
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
      resolve(failedDays > 0 ? EXIT.failed : EXIT.ok);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });
}
