// The one way a service day is scored by the scheduler and the backfill: under the day's lock,
// through detectDay, with transient database errors retried a bounded number of times.
import type { Database } from '../storage/database.js';
import { tryLockServiceDay } from '../storage/dayLocks.js';
import { dayStatuses } from '../storage/dayStatus.js';
import type { DetectorParams } from '../compute/detectOutliers.js';
import { detectDay, type DetectDayResult } from './detectDay.js';
import type { Logger } from './logger.js';

export type DayOutcome =
  | { day: string; status: 'succeeded'; run: DetectDayResult; attempts: number }
  | { day: string; status: 'failed'; error: string; run?: DetectDayResult; attempts: number }
  | { day: string; status: 'skipped'; why: string };

export interface ScoreDayOptions {
  params: DetectorParams;
  trigger: string;
  log: Logger;
  /** attempts for transient errors (connection refused or reset, serialization failure, deadlock) */
  maxAttempts?: number;
  /** first backoff; doubles each time */
  backoffMs?: number;
  /**
   * Skip the day when, once its lock is held, it turns out scored and not stale: another process
   * scored it between our plan and our lock. The scheduler and selective backfills want this.
   */
  onlyIfNeeded?: boolean;
}

// Errors worth another try: the server went away or refused for now, or PostgreSQL asks to retry.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
]);

export function isTransient(code: string | undefined, message = ''): boolean {
  return (code !== undefined && TRANSIENT_CODES.has(code)) || /Connection terminated|connection refused|ECONNRESET/i.test(message);
}

export async function scoreServiceDay(db: Database, day: string, options: ScoreDayOptions): Promise<DayOutcome> {
  const maxAttempts = options.maxAttempts ?? 3;
  let backoff = options.backoffMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    let release: Awaited<ReturnType<typeof tryLockServiceDay>>;
    try {
      release = await tryLockServiceDay(db, day);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: string }).code;
      if (attempt < maxAttempts && isTransient(code, message)) {
        options.log.warn({ day, attempt, error: message, retryInMs: backoff }, 'transient database error, retrying');
        await sleep(backoff);
        backoff *= 2;
        continue;
      }
      options.log.error({ day, error: message, attempts: attempt }, 'day failed');
      return { day, status: 'failed', error: message, attempts: attempt };
    }
    if (!release) {
      options.log.info({ day }, 'skipped: another process is scoring this day');
      return { day, status: 'skipped', why: 'locked by another process' };
    }
    let run: DetectDayResult;
    try {
      if (options.onlyIfNeeded) {
        const [status] = await dayStatuses(db, day, day);
        if (!status || status.state === 'scored') {
          options.log.info({ day }, 'skipped: already scored by another process');
          return { day, status: 'skipped', why: status ? 'already scored' : 'no rides' };
        }
      }
      run = await detectDay(db, {
        serviceDate: day,
        params: options.params,
        trigger: options.trigger,
        onPhase: (phase, runId) => options.log.info({ day, runId, phase }, `${phase} ${day}`),
      });
    } finally {
      await release();
    }
    if (run.status === 'succeeded') {
      options.log.info(
        {
          day,
          runId: run.runId,
          rides: run.rides,
          outliers: run.outliers,
          flagsWritten: run.flagsWritten,
          seconds: Number(run.timings.totalSeconds.toFixed(3)),
          drift: run.drift?.verdict,
        },
        `scored ${day}`,
      );
      if (run.drift?.drift) {
        options.log.warn({ day, runId: run.runId, drift: run.drift.drifted }, `drift warning: ${day} is far from the trailing days on ${run.drift.drifted.join(', ')}`);
      }
      return { day, status: 'succeeded', run, attempts: attempt };
    }
    if (attempt < maxAttempts && isTransient(run.errorCode, run.error)) {
      options.log.warn({ day, runId: run.runId, attempt, error: run.error, retryInMs: backoff }, 'transient database error, retrying');
      await sleep(backoff);
      backoff *= 2;
      continue;
    }
    options.log.error({ day, runId: run.runId, error: run.error, attempts: attempt }, 'day failed');
    return { day, status: 'failed', error: run.error ?? 'unknown error', run, attempts: attempt };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
