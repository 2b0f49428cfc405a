// Writing a day's flags: only the rides whose flag, reason or score changed, in one transaction
// with the run's final status, so that a crash leaves the previous flags of the day intact.
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { copyIn } from './copy.js';
import { BinaryCopyWriter } from './binaryCopy.js';
import { lockServiceDayForWrite } from './locks.js';
import { finishRunSucceeded, type RunOutcome } from './runs.js';
import type { DayRides } from './rides.js';
import { APPLY_FLAG_STAGE, COPY_FLAG_STAGE, CREATE_FLAG_STAGE } from './sql.js';

export interface NewFlags {
  /** 1 outlier, 0 normal; one per ride of DayRides, same order */
  isOutlier: Uint8Array;
  /** 0 = no reason, k = reasonNames[k - 1] */
  reasonCode: Uint8Array;
  reasonNames: readonly string[];
  /** NaN = NULL; stored as real, compared as stored */
  score: Float64Array;
}

/** Indices of rides whose stored flag, reason or score differs from the new ones. */
export function changedRides(rides: DayRides, flags: NewFlags): Uint32Array {
  const changed = new Uint32Array(rides.count);
  let n = 0;
  for (let i = 0; i < rides.count; i++) {
    const before = rides.previousFlag[i];
    const code = flags.reasonCode[i];
    const reason = code === 0 ? null : flags.reasonNames[code - 1];
    const newScore = Math.fround(flags.score[i]);
    const oldScore = rides.previousScore[i];
    const scoreSame = Number.isNaN(newScore) ? Number.isNaN(oldScore) : newScore === oldScore;
    if (before !== flags.isOutlier[i] || rides.previousReason[i] !== reason || !scoreSame) changed[n++] = i;
  }
  return changed.subarray(0, n);
}

/**
 * Writes the changed flags and marks the run succeeded, atomically. Returns how many rides were
 * written. `afterStage` is a test hook to fail between staging and commit.
 */
export async function writeFlags(
  db: Database,
  runId: number,
  rides: DayRides,
  flags: NewFlags,
  outcome: (flagsWritten: number) => RunOutcome,
  afterStage?: (trx: Knex.Transaction) => Promise<void>,
): Promise<number> {
  const changed = changedRides(rides, flags);
  const writer = new BinaryCopyWriter(4, 64 + changed.length * 48);
  const buffer = rides.table.buffer;
  for (const i of changed) {
    const code = flags.reasonCode[i];
    writer
      .beginRow()
      .bytes(buffer, rides.idStarts[i], rides.idLengths[i])
      .bool(flags.isOutlier[i] === 1)
      .text(code === 0 ? null : flags.reasonNames[code - 1])
      .float4(Number.isNaN(flags.score[i]) ? null : flags.score[i]);
  }
  const data = writer.finish();
  await db.knex.transaction(async (trx) => {
    await lockServiceDayForWrite(trx, rides.serviceDate);
    if (changed.length > 0) {
      await trx.raw(CREATE_FLAG_STAGE);
      await copyIn(trx, COPY_FLAG_STAGE, data);
      await trx.raw(APPLY_FLAG_STAGE, [runId, rides.serviceDate]);
    }
    if (afterStage) await afterStage(trx);
    await finishRunSucceeded(trx, runId, outcome(changed.length));
  });
  return changed.length;
}
