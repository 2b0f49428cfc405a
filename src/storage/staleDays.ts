// Service days whose flags no longer cover all their rides: scored by a succeeded run, then given
// new rides (a load, a simulation). The nightly job or a backfill re-scores them.
import type { Database } from './database.js';
import { STALE_DAYS } from './loadSql.js';

export interface StaleServiceDay {
  day: string;
  /** the latest succeeded run of the day */
  lastRunId: number;
  lastScoredAt: Date | null;
  /** rides of the day that no run has scored */
  unscoredRides: number;
}

/** Stale days in [from, to] (ISO dates, inclusive; either end open when omitted), in date order. */
export async function staleDays(db: Database, from?: string, to?: string): Promise<StaleServiceDay[]> {
  const result = await db.knex.raw(STALE_DAYS, [from ?? '-infinity', to ?? 'infinity']);
  return (result.rows as { day: string; last_run_id: number | string; last_scored_at: Date | string | null; unscored: number }[]).map((r) => ({
    day: r.day,
    lastRunId: Number(r.last_run_id),
    lastScoredAt: r.last_scored_at === null ? null : new Date(r.last_scored_at),
    unscoredRides: Number(r.unscored),
  }));
}
