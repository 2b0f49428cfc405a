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

export interface BackfillProgress {
  daysDone: number;
  daysToScore: number;
  ridesDone: number;
  last: DayOutcome;
}

export interface BackfillOptions {
  params: DetectorParams;
  tensorBackend?: TensorBackendName;
  /** re-check each selected day under its lock (selective backfills: --only-missing, --stale) */
  onlyIfNeeded: boolean;
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

/** `ridescan backfill`: plan the range, then (unless a dry run) score it, on the configured database. */
export async function backfill(
  config: RidescanConfig,
  selection: BackfillSelection,
  options: Omit<BackfillOptions, 'tensorBackend'> & { dryRun: boolean },
): Promise<{ plan: PlannedDay[]; outcomes: DayOutcome[] | null }> {
  return withDatabase(config, { requireSchema: true }, async (db) => {
    const plan = await planBackfill(db, selection);
    if (options.dryRun) return { plan, outcomes: null };
    return { plan, outcomes: await runBackfill(db, plan, { ...options, tensorBackend: config.tensorBackend }) };
  });
}
