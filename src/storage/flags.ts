// Writing a day's flags: only the rides whose flag, reason or score changed, in one transaction
// with the run's final status, so that a crash leaves the previous flags of the day intact.
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { copyIn } from './copy.js';
import { BinaryCopyWriter } from './binaryCopy.js';
import { lockServiceDayForWrite } from './locks.js';
import { finishRunSucceeded, type RunOutcome } from './runs.js';
import type { DayRides } from './rides.js';
import { APPLY_FLAG_STAGE, COPY_FLAG_STAGE, CREATE_FLAG_STAGE, MARK_UNSCORED_NORMAL } from './sql.js';

export interface NewFlags {
  /** 1 outlier, 0 normal; one per ride of DayRides, same order */
  isOutlier: Uint8Array;
  /** 0 = no reason, k = reasonNames[k - 1] */
  reasonCode: Uint8Array;
  reasonNames: readonly string[];
  /** NaN = NULL; stored as real, compared as stored */
  score: Float64Array;
}

/**
 * A stored score counts as unchanged within this many eps. Scores are rounded to 0.001 eps, and
 * the scaler of the same rides read in another page order can differ in its last float32 bits,
 * which moves a score sitting on a rounding step by one step: not worth a row write.
 */
export const SCORE_TOLERANCE = 0.0015;

/** Which rides to write, and how: see MARK_UNSCORED_NORMAL. */
export interface FlagChanges {
  /** rides to stage and write one by one */
  staged: Uint32Array;
  /** never-scored rides that become plain normal: written by one bulk statement */
  unscoredNormal: number;
}

/** Rides whose stored flag, reason or score differs from the new ones. */
export function changedRides(rides: DayRides, flags: NewFlags): FlagChanges {
  const staged = new Uint32Array(rides.count);
  let n = 0;
  let unscoredNormal = 0;
  for (let i = 0; i < rides.count; i++) {
    const before = rides.previousFlag[i];
    const code = flags.reasonCode[i];
    const newScore = Math.fround(flags.score[i]);
    if (before === -1 && flags.isOutlier[i] === 0 && code === 0 && newScore === 0) {
      unscoredNormal++;
      continue;
    }
    const reason = code === 0 ? null : flags.reasonNames[code - 1];
    const oldScore = rides.previousScore[i];
    const scoreSame = Number.isNaN(newScore) ? Number.isNaN(oldScore) : Math.abs(newScore - oldScore) <= SCORE_TOLERANCE;
    if (before !== flags.isOutlier[i] || rides.previousReason[i] !== reason || !scoreSame) staged[n++] = i;
  }
  return { staged: staged.subarray(0, n), unscoredNormal };
}

/** Rides were loaded into the day after it was read: the run must not mark them scored. */
export class DayChangedDuringRunError extends Error {
  constructor(serviceDate: string, expected: number, found: number) {
    super(`rides of ${serviceDate} changed while it was being scored (${found} unscored rides found, ${expected} expected); run it again`);
    this.name = 'DayChangedDuringRunError';
  }
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
  const { staged, unscoredNormal } = changedRides(rides, flags);
  const writer = new BinaryCopyWriter(4, 64 + staged.length * 48);
  const buffer = rides.table.buffer;
  for (const i of staged) {
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
    await trx.raw(CREATE_FLAG_STAGE);
    if (staged.length > 0) await copyIn(trx, COPY_FLAG_STAGE, data);
    if (unscoredNormal > 0) {
      const marked = (await trx.raw(MARK_UNSCORED_NORMAL, [runId, rides.serviceDate])).rowCount as number;
      if (marked !== unscoredNormal) throw new DayChangedDuringRunError(rides.serviceDate, unscoredNormal, marked);
    }
    if (staged.length > 0) await trx.raw(APPLY_FLAG_STAGE, [runId, rides.serviceDate]);
    if (afterStage) await afterStage(trx);
    await finishRunSucceeded(trx, runId, outcome(staged.length + unscoredNormal));
  });
  return staged.length + unscoredNormal;
}
