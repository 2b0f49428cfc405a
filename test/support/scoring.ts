// Scoring a day in tests, through the one pipeline (scoreDay) with no retries, returning its run.
import type { Knex } from 'knex';
import type { Database } from '../../src/storage/database.js';
import type { DetectorParams } from '../../src/compute/detectOutliers.js';
import { scoreDay, type DayRun } from '../../src/application/usecases/scoreDay.js';

export interface TestScoring {
  serviceDate: string;
  params: DetectorParams;
  trigger: string;
  beforeCommit?: (trx: Knex.Transaction) => Promise<void>;
  afterRead?: (attempt: number) => Promise<void>;
  /** compute even when an earlier run's result could stand (usecases/resultDigest.ts) */
  recompute?: boolean;
}

export async function scoreForTest(db: Database, options: TestScoring): Promise<DayRun> {
  const outcome = await scoreDay(db, options.serviceDate, {
    params: options.params,
    trigger: options.trigger,
    maxAttempts: 1,
    recompute: options.recompute,
    hooks: { beforeCommit: options.beforeCommit, afterRead: options.afterRead },
  });
  if (outcome.status === 'skipped' || !outcome.run) throw new Error(`${options.serviceDate} was not scored: ${JSON.stringify(outcome)}`);
  return outcome.run;
}
