import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { scoreForTest } from '../../support/scoring.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { scoreDay } from '../../../src/application/usecases/scoreDay.js';
import { LOCKS } from '../../../src/storage/locks.js';
import { insertRides, readRidesForDay, rideIdAt } from '../../../src/storage/rides.js';
import { getRun } from '../../../src/storage/runs.js';
import { dayStatuses } from '../../../src/storage/dayStatus.js';
import { SCORE_TOLERANCE } from '../../../src/storage/flags.js';
import { detectOutliers } from '../../../src/compute/detectOutliers.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

const DAY = '2021-03-04';
const OTHER_DAY = '2021-03-05';
const params = { eps: 0.3, minSamples: 10, minClusterShare: 0.05 };

type FlagRow = { ride_id: string; is_outlier: boolean | null; outlier_reason: string | null; outlier_score: number | null; detection_run_id: number | null };

describe.each(databaseTargets)('scoreDay on $name', (target) => {
  let t: TestDatabase;
  const flagsOf = async (day: string): Promise<FlagRow[]> =>
    t.db.knex('rides')
      .select('ride_id', 'is_outlier', 'outlier_reason', 'outlier_score', t.db.knex.raw('detection_run_id::int as detection_run_id'))
      .where({ service_date: day })
      .orderBy('ride_id');

  beforeAll(async () => {
    t = await target.create();
    await initTensorBackend();
    await simulateDay(t.db, { serviceDate: DAY, rides: 3000, seed: 11, timeZone: 'UTC' });
    await simulateDay(t.db, { serviceDate: OTHER_DAY, rides: 500, seed: 12, timeZone: 'UTC' });
    const at = Date.parse(`${DAY}T12:00:00Z`);
    await insertRides(
      t.db,
      [
        { rideId: 'backwards', taxiId: 'T9', pickupLocalMs: at, dropoffLocalMs: at - 60_000, distanceKm: 3 },
        { rideId: 'instant', taxiId: 'T9', pickupLocalMs: at, dropoffLocalMs: at, distanceKm: 0.5 },
        { rideId: 'negative', taxiId: 'T9', pickupLocalMs: at, dropoffLocalMs: at + 60_000, distanceKm: -2 },
      ],
      'UTC',
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('scores every ride of the day, as the compute pipeline does, and records the run', async () => {
    const result = await scoreForTest(t.db, { serviceDate: DAY, params, trigger: 'test' });
    expect(result.status).toBe('succeeded');
    expect(result.rides).toBe(3003);
    expect(result.flagsWritten).toBe(3003);

    const rows = await flagsOf(DAY);
    expect(rows.every((r) => r.is_outlier !== null && r.detection_run_id === result.runId)).toBe(true);
    const byId = new Map(rows.map((r) => [r.ride_id, r]));
    expect(byId.get('backwards')).toMatchObject({ is_outlier: true, outlier_reason: 'invalid_duration', outlier_score: null });
    expect(byId.get('instant')).toMatchObject({ is_outlier: true, outlier_reason: 'invalid_duration' });
    expect(byId.get('negative')).toMatchObject({ is_outlier: true, outlier_reason: 'invalid_distance' });

    // the oracle: the compute pipeline on what the database holds
    const day = await readRidesForDay(t.db, DAY);
    const expected = detectOutliers(day.distanceKm, day.durationMin, params);
    for (let i = 0; i < day.count; i++) {
      const row = byId.get(rideIdAt(day, i))!;
      expect(row.is_outlier).toBe(expected.isOutlier[i] === 1);
      expect(row.outlier_reason).toBe(expected.reasonCode[i] ? expected.reasonNames[expected.reasonCode[i] - 1] : null);
      if (Number.isNaN(expected.score[i])) expect(row.outlier_score).toBeNull();
      // the oracle may read the rows in another page order: a score may sit one rounding step away
      else expect(Math.abs(Number(row.outlier_score) - expected.score[i])).toBeLessThanOrEqual(SCORE_TOLERANCE);
    }

    const run = await getRun(t.db, result.runId);
    expect(run).toMatchObject({ status: 'succeeded', service_date: DAY, trigger: 'test', algorithm: 'dbscan', rides_scored: 3003 });
    expect(run!.parameters).toMatchObject({ ...params, resolved: { algorithm: 'dbscan', dbscan: { eps: 0.3, minSamples: 10, minClusterShare: 0.05 } } });
    expect(run!.tensor_backend).toBe(result.tensorBackend);
    expect(run!.scaler).toMatchObject({ features: ['distance_km', 'duration_min'] });
    expect(run!.finished_at).not.toBeNull();
    const counted = await t.db.knex('rides').select('outlier_reason').count('* as n').where({ service_date: DAY, is_outlier: true }).groupBy('outlier_reason');
    expect(run!.outliers_by_reason).toEqual(Object.fromEntries(counted.map((c) => [String(c.outlier_reason), Number(c.n)])));
    expect(run!.outliers).toBe(rows.filter((r) => r.is_outlier).length);

    // the other day is untouched
    expect((await flagsOf(OTHER_DAY)).every((r) => r.is_outlier === null)).toBe(true);
  });

  it('computing the day again writes nothing and leaves the flags as they were', async () => {
    const before = await flagsOf(DAY);
    // recompute: else the first run's result stands unseen (resultDigest.test.ts)
    const again = await scoreForTest(t.db, { serviceDate: DAY, params, trigger: 'test', recompute: true });
    expect(again.status).toBe('succeeded');
    expect(again.reusedRunId).toBeNull();
    expect(again.flagsWritten).toBe(0);
    expect(await flagsOf(DAY)).toEqual(before);
  });

  it('after new rides arrive, writes the new rides and the few whose flag moved, not the whole day', async () => {
    await simulateDay(t.db, { serviceDate: DAY, rides: 60, seed: 99, timeZone: 'UTC' });
    const before = new Map((await flagsOf(DAY)).map((r) => [r.ride_id, r]));
    const result = await scoreForTest(t.db, { serviceDate: DAY, params, trigger: 'test' });
    const after = await flagsOf(DAY);
    expect(after.every((r) => r.is_outlier !== null)).toBe(true);
    const changed = after.filter((r) => {
      const b = before.get(r.ride_id)!;
      return b.is_outlier !== r.is_outlier || b.outlier_reason !== r.outlier_reason || b.outlier_score !== r.outlier_score;
    });
    expect(result.flagsWritten).toBe(changed.length);
    expect(changed.length).toBeGreaterThanOrEqual(60);
    expect(changed.length).toBeLessThan(after.length / 2);
    expect(changed.every((r) => r.detection_run_id === result.runId)).toBe(true);
  });

  it('a failure before commit leaves the previous flags intact and the run marked failed', async () => {
    const before = await flagsOf(DAY);
    const result = await scoreForTest(t.db, {
      serviceDate: DAY,
      params: { ...params, minClusterShare: 0 }, // different flags would be written
      trigger: 'test',
      beforeCommit: async () => {
        throw new Error('power cut');
      },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/power cut/);
    expect(await flagsOf(DAY)).toEqual(before);
    const run = await getRun(t.db, result.runId);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.error).toMatch(/power cut/);
    expect(run!.finished_at).not.toBeNull();
  });

  it('a ride loaded while the day is being scored is not marked scored: the day is read again', async () => {
    const FRESH = '2021-03-09';
    await simulateDay(t.db, { serviceDate: FRESH, rides: 800, seed: 21, timeZone: 'UTC' });
    const at = Date.parse(`${FRESH}T08:00:00Z`);
    const result = await scoreForTest(t.db, {
      serviceDate: FRESH,
      params,
      trigger: 'test',
      afterRead: async (attempt) => {
        if (attempt === 1) {
          await insertRides(t.db, [{ rideId: 'late-arrival', taxiId: null, pickupLocalMs: at, dropoffLocalMs: at + 600_000, distanceKm: 4 }], 'UTC');
        }
      },
    });
    expect(result.status).toBe('succeeded');
    expect(result.attempts).toBe(2);
    expect(result.rides).toBe(801);
    const late = (await flagsOf(FRESH)).find((r) => r.ride_id === 'late-arrival');
    expect(late?.is_outlier).not.toBeNull();
    expect((await flagsOf(FRESH)).every((r) => r.is_outlier !== null && r.detection_run_id === result.runId)).toBe(true);
  });

  it('records a day without rides as a no_rides run: the day is not counted as scored', async () => {
    const result = await scoreForTest(t.db, { serviceDate: '2020-02-29', params, trigger: 'test' });
    expect(result).toMatchObject({ status: 'no_rides', rides: 0, outliers: 0, flagsWritten: 0 });
    expect(await getRun(t.db, result.runId)).toMatchObject({ status: 'no_rides', rides_scored: 0 });
    const [day] = await dayStatuses(t.db, '2020-02-29', '2020-02-29');
    expect(day).toMatchObject({ day: '2020-02-29', rides: 0, state: 'no rides', lastSucceededRunId: null });
    // the selective re-check skips it, rather than recording a no_rides run on every tick
    const again = await scoreDay(t.db, '2020-02-29', { params, trigger: 'test', onlyIfNeeded: true });
    expect(again).toMatchObject({ status: 'skipped', why: 'no rides' });
  });

  it('retries a transient database error with a new run, and records both', async () => {
    const before = await flagsOf(OTHER_DAY);
    let calls = 0;
    const outcome = await scoreDay(t.db, OTHER_DAY, {
      params: { ...params, minClusterShare: 0 },
      trigger: 'test',
      backoffMs: 1,
      hooks: {
        beforeCommit: async () => {
          calls++;
          // what pg reports when the server restarts under a transaction
          if (calls === 1) throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        },
      },
    });
    expect(outcome.status).toBe('succeeded');
    if (outcome.status !== 'succeeded') return;
    expect(outcome.attempts).toBe(2);
    const runs = await t.db.knex('detection_runs').select('id', 'status', 'error').where({ service_date: OTHER_DAY }).orderBy('id');
    const last2 = runs.slice(-2);
    expect(last2.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(last2[0].error).toMatch(/administrator command/);
    expect(Number(last2[1].id)).toBe(outcome.run.runId);
    expect((await flagsOf(OTHER_DAY)).every((r) => r.detection_run_id === outcome.run.runId || before.some((b) => b.ride_id === r.ride_id && b.detection_run_id === r.detection_run_id))).toBe(true);
  });

  it('gives up after the attempts on a transient error, and does not retry a real one', async () => {
    const failing = (code: string) =>
      scoreDay(t.db, OTHER_DAY, {
        params,
        trigger: 'test',
        backoffMs: 1,
        maxAttempts: 3,
        hooks: {
          beforeCommit: async () => {
            throw Object.assign(new Error(`failure ${code}`), { code });
          },
        },
      });
    const transient = await failing('40001');
    expect(transient).toMatchObject({ status: 'failed', attempts: 3 });
    const real = await failing('23505');
    expect(real).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('skips a day another holder is scoring, and records no run for it', async () => {
    const runsBefore = await t.db.knex('detection_runs').count<{ count: string }[]>('* as count');
    const release = await t.db.tryLock(LOCKS.scoreDay(OTHER_DAY));
    try {
      const outcome = await scoreDay(t.db, OTHER_DAY, { params, trigger: 'test' });
      expect(outcome).toMatchObject({ status: 'skipped', why: 'locked by another process' });
    } finally {
      await release!();
    }
    const runsAfter = await t.db.knex('detection_runs').count<{ count: string }[]>('* as count');
    expect(Number(runsAfter[0].count)).toBe(Number(runsBefore[0].count));
  });

  it("a first scoring's large stage is joined by hash, with nested loops off: a day beyond the statistics cannot get a per-ride plan", async () => {
    const FIRST = '2021-03-12';
    await simulateDay(t.db, { serviceDate: FIRST, rides: 2000, seed: 31, timeZone: 'UTC' });
    let setting: string | undefined;
    let staged = 0;
    let plan = '';
    const run = await scoreForTest(t.db, {
      serviceDate: FIRST,
      params,
      trigger: 'test',
      beforeCommit: async (trx) => {
        setting = (await trx.raw('show enable_nestloop')).rows[0].enable_nestloop;
        staged = Number((await trx.raw('select count(*) as n from ridescan_flag_stage')).rows[0].n);
        // the stage's join, on a day the statistics have never seen (estimated at about one row)
        const explained = await trx.raw(`explain update rides r set is_outlier = s.is_outlier
          from ridescan_flag_stage s where r.ride_id = s.ride_id and r.service_date = '2099-01-01'`);
        plan = (explained.rows as Record<string, string>[]).map((row) => Object.values(row)[0]).join('\n');
      },
    });
    expect(run.status).toBe('succeeded');
    expect(staged).toBeGreaterThan(0.02 * run.rides);
    expect(setting).toBe('off');
    expect(plan).not.toMatch(/Nested Loop/);
    const flags = await flagsOf(FIRST);
    expect(flags.every((r) => r.is_outlier !== null && r.detection_run_id === run.runId)).toBe(true);
    // the operations team's view lists exactly the day's flagged rides
    const listed = (await t.db.knex('ride_outliers').where({ service_date: FIRST }).orderBy('ride_id').select('ride_id')).map((r) => r.ride_id);
    expect(listed).toEqual(flags.filter((r) => r.is_outlier).map((r) => r.ride_id));
    expect(listed.length).toBe(run.outliers);
  });

  it('a re-run that changes a few rides stages only those, joined with nested loops allowed (by the key), and writes them back', async () => {
    const before = await flagsOf(DAY);
    const edited = before.slice(0, 3).map((r) => r.ride_id);
    await t.db.knex('rides').where({ service_date: DAY }).whereIn('ride_id', edited).update({ is_outlier: t.db.knex.raw('not is_outlier'), outlier_score: 99 });
    let setting: string | undefined;
    let staged: string[] = [];
    const run = await scoreForTest(t.db, {
      serviceDate: DAY,
      params,
      trigger: 'test',
      beforeCommit: async (trx) => {
        setting = (await trx.raw('show enable_nestloop')).rows[0].enable_nestloop;
        staged = (await trx.raw('select ride_id from ridescan_flag_stage order by ride_id')).rows.map((r: { ride_id: string }) => r.ride_id);
      },
    });
    expect(run.status).toBe('succeeded');
    expect(run.flagsWritten).toBe(3);
    expect(staged).toEqual([...edited].sort());
    expect(setting).toBe('on');
    const after = await flagsOf(DAY);
    expect(after.map(({ detection_run_id: _, ...r }) => r)).toEqual(before.map(({ detection_run_id: _, ...r }) => r));
    expect(after.filter((r) => r.detection_run_id === run.runId).map((r) => r.ride_id)).toEqual(edited);
  });

  it('scores a day with k-means, whose library is loaded on demand (not with the detector), and a re-run writes nothing', async () => {
    const day = '2021-03-07';
    await simulateDay(t.db, { serviceDate: day, rides: 800, seed: 13, timeZone: 'UTC' });
    const kmeans = { algorithm: 'kmeans' as const, k: 2, contamination: 0.05 };
    const first = await scoreForTest(t.db, { serviceDate: day, params: kmeans, trigger: 'test' });
    expect(first.status).toBe('succeeded');
    expect(first.resolved?.kmeans?.k).toBe(2);
    expect(first.outliersByReason.kmeans_distance).toBeGreaterThan(0);
    const again = await scoreForTest(t.db, { serviceDate: day, params: kmeans, trigger: 'test', recompute: true });
    expect(again).toMatchObject({ flagsWritten: 0, reusedRunId: null });
  });
});
