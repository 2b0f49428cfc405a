// `ridescan prune --before D`: drops the rides of the service days before D (their partitions,
// storage/prunes.ts), keeping the run history, the loads' account and the zone-pair baselines.
// Without `apply` it only says what it would drop, as `time-zone` does for a change that moves rides.
// Up to PRUNE_DAYS_PER_TRANSACTION days are one transaction; more are several, oldest first, each
// recorded in prunes: a failure part way leaves the earlier parts done and says so.
import { pruneDaysBefore, RidesBusyError, ScoringInProgressError, type PrunedDay } from '../../storage/prunes.js';
import type { RidescanConfig } from '../config.js';
import { WorkFailedError } from '../errors.js';
import { withDatabase } from '../openDatabase.js';

export interface PruneSummary {
  database: string;
  before: string;
  /** the days dropped (or, for a dry run, that would be), oldest first */
  days: PrunedDay[];
  rides: number;
  applied: boolean;
  /** the prunes rows written, one per transaction */
  pruneIds: number[];
}

export async function prune(
  config: RidescanConfig,
  before: string,
  options: { apply: boolean; /** tests: fewer days per transaction than storage's default */ daysPerTransaction?: number },
): Promise<PruneSummary> {
  return withDatabase(config, { requireSchema: true }, async (db) => {
    const summary: PruneSummary = { database: db.describe, before, days: [], rides: 0, applied: options.apply, pruneIds: [] };
    let after: string | undefined;
    try {
      for (;;) {
        const part = await pruneDaysBefore(db, before, { apply: options.apply, after, maxDays: options.daysPerTransaction });
        summary.days.push(...part.days);
        summary.rides += part.rides;
        if (part.pruneId !== null) summary.pruneIds.push(part.pruneId);
        if (!part.more || part.days.length === 0) return summary;
        after = part.days[part.days.length - 1].day;
      }
    } catch (error) {
      const done = summary.applied && summary.days.length > 0
        ? `the ${summary.days.length} day(s) from ${summary.days[0].day} to ${summary.days[summary.days.length - 1].day} were dropped (prunes ${summary.pruneIds.map((id) => `#${id}`).join(', ')}), the later ones were not`
        : 'nothing was dropped';
      if (error instanceof ScoringInProgressError) throw new WorkFailedError(`${error.message}: ${done}; run it again when the scoring has ended (or prune before an earlier day)`);
      if (error instanceof RidesBusyError) throw new WorkFailedError(`${error.message}: ${done}; run it again`);
      throw error;
    }
  });
}
