// The read-only use cases of the operations team: the run history and ad hoc SQL.
import { listRuns, type RunRow } from '../../storage/runs.js';
export { jsonCell } from '../../storage/readOnlyQuery.js';
import { QueryCancelledError, QueryRefusedError, ReaderRoleMissingError, runReadOnlyQuery, type QueryResult } from '../../storage/readOnlyQuery.js';
import type { RidescanConfig } from '../config.js';
import { DatabaseError, errorMessage, WorkFailedError } from '../errors.js';
import { withDatabase } from '../openDatabase.js';

export async function runHistory(config: RidescanConfig, options: { serviceDate?: string; limit: number }): Promise<RunRow[]> {
  return withDatabase(config, { requireSchema: true }, (db) => listRuns(db, options));
}

export interface QueryOptions {
  timeoutMs: number;
  maxRows: number;
  /** aborting cancels the statement on the server */
  signal?: AbortSignal;
}

/**
 * One query, read-only, as ridescan_reader, timestamps in the service time zone (storage/
 * readOnlyQuery.ts says how each of these is PostgreSQL's doing). A failure of the statement
 * itself, its refusal or its timeout is the work failing (exit 1); a database without the reader
 * role is not set up (exit 3), and the message names what a DBA runs.
 */
export async function query(config: RidescanConfig, sql: string, options: QueryOptions): Promise<QueryResult> {
  return withDatabase(config, { requireSchema: true }, async (db, settings) => {
    try {
      return await runReadOnlyQuery(db, sql, { ...options, timeZone: settings.timeZone.zone });
    } catch (error) {
      if (error instanceof ReaderRoleMissingError) throw new DatabaseError(error.message);
      if (error instanceof QueryCancelledError || error instanceof QueryRefusedError) throw new WorkFailedError(error.message);
      throw new WorkFailedError(`query failed: ${errorMessage(error)}`);
    }
  });
}
