// `ridescan prune --before D`: drops the rides of the service days before D (their partitions,
// storage/prunes.ts), keeping the run history, the loads' account and the zone-pair baselines.
// Without `apply` it only says what it would drop, as `time-zone` does for a change that moves rides.
import { pruneDaysBefore, RidesBusyError, ScoringInProgressError, type PruneResult } from '../../storage/prunes.js';
import type { RidescanConfig } from '../config.js';
import { WorkFailedError } from '../errors.js';
import { withDatabase } from '../openDatabase.js';

export async function prune(config: RidescanConfig, before: string, options: { apply: boolean }): Promise<PruneResult & { database: string }> {
  return withDatabase(config, { requireSchema: true }, async (db) => {
    try {
      return { ...(await pruneDaysBefore(db, before, options)), database: db.describe };
    } catch (error) {
      if (error instanceof ScoringInProgressError) {
        throw new WorkFailedError(`${error.message}: nothing was dropped; run it again when the scoring has ended (or prune before an earlier day)`);
      }
      if (error instanceof RidesBusyError) throw new WorkFailedError(`${error.message}: nothing was dropped; run it again`);
      throw error;
    }
  });
}
