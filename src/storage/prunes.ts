// Dropping old service days' rides (`ridescan prune`): each day is a partition of rides (migration
// 012), so dropping a day is dropping a table, milliseconds whatever its size, with no row-by-row
// delete and no dead rows left for vacuum. What a day's runs recorded stays: detection_runs,
// loads, ride_rejects and zone_pair_baseline (a later day's baseline still sums the pruned days'
// rows). Every prune is recorded in the prunes table.
import { hostname } from 'node:os';
import type { Database } from './database.js';
import { LOCKS, lockInTransaction } from './locks.js';
import { listDayPartitions } from './ridePartitions.js';
import { lockScoringOf, ScoringInProgressError } from './settings.js';

export { ScoringInProgressError };

/** rides is held by a statement that did not end within the lock timeout: nothing was dropped. */
export class RidesBusyError extends Error {
  constructor(readonly waitedMs: number) {
    super(`rides is in use by a statement that has not ended within ${waitedMs / 1000} s`);
    this.name = 'RidesBusyError';
  }
}

export interface PrunedDay {
  day: string;
  rides: number;
}

export interface PruneResult {
  /** days strictly before this one */
  before: string;
  /** and strictly after this one, when given (the days a previous part of the prune took) */
  after: string | null;
  /** days before `before` left for another transaction (more than maxDays of them) */
  more: boolean;
  /** the days with a partition before `before`, in date order, with their rides */
  days: PrunedDay[];
  rides: number;
  /** false for a dry run: nothing was written */
  applied: boolean;
  /** the prunes row; null for a dry run or when there was nothing to drop */
  pruneId: number | null;
}

// The rides of each day to drop, counted for the record (an index-only count per partition).
// Bindings: the days.
const RIDES_OF_DAYS = `select to_char(service_date, 'YYYY-MM-DD') as day, count(*) as rides
  from rides where service_date = any (?::date[]) group by service_date`;

/**
 * The most days one transaction drops. Each dropped partition holds four locks until COMMIT (the
 * table, its primary key index, its TOAST table and index); the server's shared lock table has
 * max_locks_per_transaction × max_connections slots (64 × 100 by default), and a prune of 1,400
 * days in one transaction ran out of them ("out of shared memory", measured on PostgreSQL 15 and
 * PGlite). A longer prune is several transactions of this many days, each recorded.
 */
export const PRUNE_DAYS_PER_TRANSACTION = 250;

/**
 * Dropping a partition takes an ACCESS EXCLUSIVE lock on rides: it waits for the statements
 * reading rides to end, and every statement on rides queues behind it meanwhile. Waiting longer
 * than this gives up (nothing dropped) rather than stall every reader behind a long query.
 */
const LOCK_TIMEOUT_MS = 10_000;

/**
 * Drops the partitions of the oldest days before `before` (after `after` when given), at most
 * `maxDays` of them, in one transaction under the load lock (no load, simulated insert or zone
 * change writes rides meanwhile) and the scoring locks of those days (a day being scored makes it
 * refuse: ScoringInProgressError, nothing dropped). `more` says whether days before `before` were
 * left for another call. Without `apply` it only counts (applied: false).
 */
export async function pruneDaysBefore(
  db: Database,
  before: string,
  options: { apply: boolean; after?: string; maxDays?: number },
): Promise<PruneResult> {
  const after = options.after ?? null;
  const maxDays = options.maxDays ?? PRUNE_DAYS_PER_TRANSACTION;
  return db.knex.transaction(async (trx) => {
    await lockInTransaction(trx, LOCKS.loads());
    await lockInTransaction(trx, LOCKS.partitions());
    const all = (await listDayPartitions(trx)).filter((p) => p.day < before && (after === null || p.day > after));
    const partitions = all.slice(0, maxDays);
    const more = all.length > partitions.length;
    const dayList = `{${partitions.map((p) => p.day).join(',')}}`;
    const counted = new Map(
      ((await trx.raw(RIDES_OF_DAYS, [dayList])).rows as { day: string; rides: string | number }[]).map((r) => [r.day, Number(r.rides)]),
    );
    const days = partitions.map((p) => ({ day: p.day, rides: counted.get(p.day) ?? 0 }));
    const rides = days.reduce((n, d) => n + d.rides, 0);
    const result = { before, after, more, days, rides, applied: options.apply, pruneId: null };
    if (!options.apply || days.length === 0) return result;

    await lockScoringOf(trx, days.map((d) => d.day));

    await trx.raw(`set local lock_timeout = ${LOCK_TIMEOUT_MS}`);
    try {
      // one statement: rides is locked once for all the days
      await trx.raw(`drop table ${partitions.map((p) => `"${p.name}"`).join(', ')}`);
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') throw new RidesBusyError(LOCK_TIMEOUT_MS);
      throw error;
    }
    await trx.raw(`set local lock_timeout = 0`);
    const [{ id }] = await trx('prunes')
      .insert({ before, days: trx.raw('?::date[]', [dayList]), rides_dropped: rides, hostname: hostname(), pid: process.pid })
      .returning('id');
    return { ...result, pruneId: Number(id) };
  });
}
