// A re-run with nothing new computes nothing: the day's inputs and flags are as the last run left
// them (its result digest), so its result is recorded again and no flag is written. Anything that
// could change the result (a flag or score edited by hand, new rides, other parameters, another
// trailing day, a record that does not parse) makes the run compute, and the flags it leaves are
// the ones computing gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { scoreForTest } from '../../support/scoring.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { getRun } from '../../../src/storage/runs.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';
import { formatDetectSummary } from '../../../src/application/cli/format/detectSummary.js';
import { canonicalJson } from '../../../src/application/usecases/resultDigest.js';

const DAY = '2022-05-10';
const params = { eps: 0.3, minSamples: 10, minClusterShare: 0.05 };

type FlagRow = { ride_id: string; is_outlier: boolean | null; outlier_reason: string | null; outlier_score: number | null };

describe('the digest of parameters', () => {
  it('does not depend on the order of keys (jsonb gives them back in its own), at any depth', () => {
    const asked = { eps: 'auto', rules: { maxSpeedKmh: 150, noTripMaxKm: 0.1 }, features: 'x', skipped: undefined };
    const fromJsonb = { features: 'x', eps: 'auto', rules: { noTripMaxKm: 0.1, maxSpeedKmh: 150 } };
    expect(canonicalJson(asked)).toBe(canonicalJson(fromJsonb));
    expect(canonicalJson({ ...asked, eps: 0.3 })).not.toBe(canonicalJson(fromJsonb));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });
});

describe.each(databaseTargets)('a re-run with nothing new on $name', (target) => {
  let t: TestDatabase;
  const flagsOf = async (): Promise<FlagRow[]> =>
    t.db.knex('rides').select('ride_id', 'is_outlier', 'outlier_reason', 'outlier_score').where({ service_date: DAY }).orderBy('ride_id');
  const score = (extra: { recompute?: boolean; params?: typeof params } = {}) =>
    scoreForTest(t.db, { serviceDate: DAY, params: extra.params ?? params, trigger: 'test', recompute: extra.recompute });

  beforeAll(async () => {
    t = await target.create();
    await initTensorBackend();
    await simulateDay(t.db, { serviceDate: DAY, rides: 2000, seed: 31, timeZone: 'UTC' });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("records the last run's result again, computing and writing nothing", async () => {
    const first = await score();
    expect(first).toMatchObject({ status: 'succeeded', flagsWritten: 2000, reusedRunId: null });
    expect(first.outliers).toBeGreaterThan(0);
    const flags = await flagsOf();

    const again = await score();
    expect(again).toMatchObject({ status: 'succeeded', flagsWritten: 0, reusedRunId: first.runId, rides: 2000 });
    expect(again.timings.clusterSeconds).toBe(0);
    // the result as the first run computed it
    expect(again.outliers).toBe(first.outliers);
    expect(again.outliersByReason).toEqual(first.outliersByReason);
    expect(again.clusters).toEqual(first.clusters);
    expect(again.scaler).toEqual(first.scaler);
    expect(again.resolved).toEqual(JSON.parse(JSON.stringify(first.resolved)));
    expect(again.drift?.verdict).toBe(first.drift?.verdict);
    // recorded with the backend that computed it (TF.js is not loaded for a reuse)
    expect(again.tensorBackend).toBe(first.tensorBackend);
    expect(await flagsOf()).toEqual(flags);
    const recorded = await getRun(t.db, again.runId);
    expect(recorded).toMatchObject({ status: 'succeeded', flags_written: 0, outliers: first.outliers, rides_scored: 2000 });
    expect(Number(recorded!.reused_run_id)).toBe(first.runId);
    expect(recorded!.result_digest).toBe((await getRun(t.db, first.runId))!.result_digest);
    expect(recorded!.result_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(formatDetectSummary(again, 'test')).toContain(`as run #${first.runId} left them`);

    // a third run points at the run that computed, not at the one that reused
    expect((await score()).reusedRunId).toBe(first.runId);
    // asked to, it computes: the same flags, nothing written, and the digest it leaves is the same
    const computed = await score({ recompute: true });
    expect(computed).toMatchObject({ flagsWritten: 0, reusedRunId: null });
    expect(computed.timings.clusterSeconds).toBeGreaterThan(0);
    expect((await getRun(t.db, computed.runId))!.result_digest).toBe(recorded!.result_digest);
  });

  it('computes again when a flag was changed by hand, and puts it back', async () => {
    const before = await flagsOf();
    const edited = before.find((r) => r.is_outlier === false)!.ride_id;
    await t.db.knex('rides').where({ service_date: DAY, ride_id: edited }).update({ is_outlier: true, outlier_reason: 'by_hand' });
    const run = await score();
    expect(run).toMatchObject({ reusedRunId: null, flagsWritten: 1 });
    expect(await flagsOf()).toEqual(before);
    expect((await score()).reusedRunId).toBe(run.runId);
  });

  it('a score moved by hand within the tolerance is not written back, and the next run still reuses', async () => {
    const before = await flagsOf();
    const edited = before.find((r) => r.is_outlier === true && r.outlier_score !== null && r.outlier_score > 1)!;
    await t.db.knex('rides').where({ service_date: DAY, ride_id: edited.ride_id }).update({ outlier_score: edited.outlier_score! + 0.001 });
    const run = await score();
    // computed (the flags are not as left), nothing to write (within SCORE_TOLERANCE) ...
    expect(run).toMatchObject({ reusedRunId: null, flagsWritten: 0 });
    // ... and its digest is of the flags as they stand, moved score included
    expect((await score()).reusedRunId).toBe(run.runId);
  });

  it('computes again with other parameters, and when rides arrive', async () => {
    const other = await score({ params: { ...params, eps: 0.25 } });
    expect(other.reusedRunId).toBeNull();
    const back = await score();
    expect(back.reusedRunId).toBeNull();
    expect(back.flagsWritten).toBeGreaterThan(0);
    expect((await score()).reusedRunId).toBe(back.runId);

    await simulateDay(t.db, { serviceDate: DAY, rides: 20, seed: 32, timeZone: 'UTC' });
    const grown = await score();
    expect(grown).toMatchObject({ reusedRunId: null, rides: 2020 });
    expect(grown.flagsWritten).toBeGreaterThanOrEqual(20);
    expect((await flagsOf()).every((r) => r.is_outlier !== null)).toBe(true);
  });

  it("computes again when a trailing day's summary changed (its drift check reads it)", async () => {
    const last = await score();
    expect(last.reusedRunId).not.toBeNull();
    await simulateDay(t.db, { serviceDate: '2022-05-09', rides: 500, seed: 33, timeZone: 'UTC' });
    await scoreForTest(t.db, { serviceDate: '2022-05-09', params, trigger: 'test' });
    const run = await score();
    expect(run.reusedRunId).toBeNull();
    expect(run.flagsWritten).toBe(0);
  });

  it('computes when the last run\'s record does not parse (edited by hand, or an older version\'s)', async () => {
    const last = await score();
    const source = (await getRun(t.db, last.reusedRunId ?? last.runId))!;
    await t.db.knex('detection_runs').where({ id: last.runId }).update({ feature_summary: JSON.stringify({ rides: 'many' }) });
    const run = await score();
    expect(run.reusedRunId).toBeNull();
    expect(run.featureSummary?.rides).toBe(source.rides_scored);
  });
});
