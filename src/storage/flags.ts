// Writing a day's flags: only the rides whose flag, reason or score changed, in one transaction
// with the run's final status, so that a crash leaves the previous flags of the day intact.
import { replaceDayPairMoments } from './baselines.js';
import type { PairMoments } from '../compute/context/pairMoments.js';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { BinaryCopyWriter } from './binaryCopy.js';
import { LOCKS, lockInTransaction } from './locks.js';
import { finishRunSucceeded, type RunOutcome } from './runs.js';
import type { DayRides } from './rides.js';
import { dayFingerprint } from './dayFingerprint.js';

// The SQL of this module, beside the functions that run it.

// A ride is staged once: the primary key says so, and gives the planner the stage's uniqueness.
const CREATE_FLAG_STAGE = `create temporary table ridescan_flag_stage (
  ride_id text primary key,
  is_outlier boolean not null,
  outlier_reason text,
  outlier_score real
) on commit drop`;

const COPY_FLAG_STAGE = `COPY ridescan_flag_stage FROM STDIN (FORMAT binary)`;

// Only rows whose flag, reason or score changed are staged, so this costs what changed. It runs
// before MARK_UNSCORED_NORMAL: every staged ride then has a flag, and what is still NULL is exactly
// the never-scored rides to mark normal (and any loaded after the read, which the count catches).
const APPLY_FLAG_STAGE = `update rides r
  set is_outlier = s.is_outlier,
      outlier_reason = s.outlier_reason,
      outlier_score = s.outlier_score,
      detection_run_id = ?
  from ridescan_flag_stage s
  where r.ride_id = s.ride_id and r.service_date = ?`;

// A day's first scoring turns most rides from NULL into plain normal (false, no reason, score 0).
// Staging each of them would cost a COPY and a join of the whole day; this one statement does
// them all, after APPLY_FLAG_STAGE has given the staged rides theirs: no anti join with the stage
// (which cost a hash of the stage and a probe per ride, and once a quadratic plan). The caller
// checks the row count: a ride loaded after the day was read must not be marked scored.
const MARK_UNSCORED_NORMAL = `update rides r
  set is_outlier = false, outlier_reason = null, outlier_score = 0, detection_run_id = ?
  where r.service_date = ? and r.is_outlier is null`;

// A stage above this share of the day is joined by hash: see writeFlags.
const HASH_JOIN_SHARE = 0.02;

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
 * a scaler a few float32 bits apart (another TF.js backend; before the read's id order, another
 * page order) moves a score sitting on a rounding step by one step: not worth a row write.
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

/** What the run record gets from the write itself, beside what the caller measured before it. */
export type RunRecord = Omit<RunOutcome, 'flagsWritten'>;

export interface FlagWrite {
  runId: number;
  rides: DayRides;
  flags: NewFlags;
  /** the run's record, complete but for what the write measures: flags written, write seconds */
  record: RunRecord;
  /**
   * The run's result digest from the day's fingerprint as this write leaves it (taken in the
   * transaction, after the updates: usecases/resultDigest.ts); without it, record.resultDigest
   */
  digestAfterWrite?: (dayFingerprint: string) => string;
  /** the day's zone-pair baseline rows (TLC days): replace the day's, in the same transaction */
  pairMoments?: PairMoments;
  /** test hook: runs inside the write transaction, after the flags are staged */
  afterStage?: (trx: Knex.Transaction) => Promise<void>;
}

/**
 * Writes the changed flags and marks the run succeeded, atomically: a crash or a kill before the
 * commit leaves the day's previous flags and a run still 'running'. Returns how many rides were
 * written.
 */
export async function writeFlags(db: Database, write: FlagWrite): Promise<number> {
  const started = performance.now();
  const { runId, rides, flags } = write;
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
  const flagsWritten = staged.length + unscoredNormal;
  await db.knex.transaction(async (trx) => {
    await lockInTransaction(trx, LOCKS.writeDay(rides.serviceDate));
    if (staged.length > 0) {
      // A large stage (a first scoring stages ~6% of the day, a re-run after 1% new rides ~2.4%)
      // is joined by hash whatever the estimates: a day scored straight after its insert lies
      // beyond the table's statistics (estimated at one row), and nested loops planned on that
      // probe the stage once per ride. A small one (a re-run's few changed rides) is joined by
      // the primary key's index, a probe per staged ride, not a scan of the whole day (which a
      // hash join needs: see docs/performance.md). The join is an inner one on unique keys, so
      // either plan is linear; only the former anti join could go quadratic.
      const byHash = staged.length > HASH_JOIN_SHARE * rides.count;
      if (byHash) await trx.raw('set local enable_nestloop = off');
      await trx.raw(CREATE_FLAG_STAGE);
      await db.copyIn(trx, COPY_FLAG_STAGE, data);
      // Row estimates for a small stage, so that the probes by the key are planned on what is
      // there. A large one is hashed anyway (its size estimated from its pages): analysing its
      // ~60k rows cost 0.15-0.25 s of a first scoring.
      if (!byHash) await trx.raw('analyze ridescan_flag_stage');
      await trx.raw(APPLY_FLAG_STAGE, [runId, rides.serviceDate]);
    }
    if (unscoredNormal > 0) {
      const marked = (await trx.raw(MARK_UNSCORED_NORMAL, [runId, rides.serviceDate])).rowCount as number;
      if (marked !== unscoredNormal) throw new DayChangedDuringRunError(rides.serviceDate, unscoredNormal, marked);
    }
    if (write.pairMoments) await replaceDayPairMoments(trx, rides.serviceDate, runId, write.pairMoments);
    if (write.afterStage) await write.afterStage(trx);
    // a scan of the day (0.33 s at 1M rides): what lets a re-run with nothing new skip the COPY
    const resultDigest = write.digestAfterWrite ? write.digestAfterWrite((await dayFingerprint(db, rides.serviceDate, trx)).fingerprint) : write.record.resultDigest;
    await finishWrite(trx, runId, { ...write.record, resultDigest }, started, flagsWritten);
  });
  return flagsWritten;
}

/** The run recorded as succeeded in the write's transaction, its timings with the write's seconds (since `started`). */
async function finishWrite(trx: Knex.Transaction, runId: number, record: RunRecord, started: number, flagsWritten: number): Promise<void> {
  const writeSeconds = (performance.now() - started) / 1000;
  const timings = { ...record.timings, write_s: writeSeconds, total_s: (record.timings.total_s ?? 0) + writeSeconds };
  await finishRunSucceeded(trx, runId, { ...record, flagsWritten, timings });
}

/**
 * Records a run that changes no flag (it reused an earlier run's result: usecases/resultDigest.ts)
 * under the day's write lock, as writeFlags records a run that wrote some.
 */
export async function recordRunWithoutWrites(
  db: Database,
  write: { runId: number; serviceDate: string; record: RunRecord; afterStage?: FlagWrite['afterStage'] },
): Promise<void> {
  const { runId, serviceDate, record } = write;
  const started = performance.now();
  await db.knex.transaction(async (trx) => {
    await lockInTransaction(trx, LOCKS.writeDay(serviceDate));
    if (write.afterStage) await write.afterStage(trx);
    await finishWrite(trx, runId, record, started, 0);
  });
}
