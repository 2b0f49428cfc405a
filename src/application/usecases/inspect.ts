// The read-only use cases of the operations team: the run history and ad hoc SQL.
import { listRuns, type RunRow } from '../../storage/runs.js';
import { runReadOnlyQuery, type QueryResult } from '../../storage/readOnlyQuery.js';
import type { RidescanConfig } from '../config.js';
import { WorkFailedError } from '../errors.js';
import { withDatabase } from '../openDatabase.js';

export async function runHistory(config: RidescanConfig, options: { serviceDate?: string; limit: number }): Promise<RunRow[]> {
  return withDatabase(config, { requireSchema: true }, (db) => listRuns(db, options));
}

/** One statement, read-only; a failure of the statement itself is the work failing (exit 1). */
export async function query(config: RidescanConfig, sql: string): Promise<QueryResult> {
  return withDatabase(config, { requireSchema: true }, async (db) => {
    try {
      return await runReadOnlyQuery(db, sql);
    } catch (error) {
      throw new WorkFailedError(`query failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
