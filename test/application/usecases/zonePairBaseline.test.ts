// The zone-pair baseline through the real pipeline: a TLC day scored writes its rows (the rides it
// left unflagged, by pair) with its flags, a re-run replaces them, and the next day's run reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { scoreForTest } from '../../support/scoring.js';
import { loadRideFile } from '../../../src/application/ingest/loadFile.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectorParams.js';
import { chooseServiceTimeZone } from '../../../src/storage/settings.js';
import { TLC_SAMPLE } from '../ingest/fixtures.js';
import { formatDetectSummary } from '../../../src/application/cli/format/detectSummary.js';

const TZ = 'America/New_York';

// What the baseline must hold for a day: its unflagged rides with both zones, distance and duration > 0.
const EXPECTED = `select pickup_zone_id, dropoff_zone_id, count(*)::int as rides,
    sum(ln(distance_km)) as d, sum(ln(duration_min) * ln(distance_km)) as dt
  from rides
  where service_date = ? and is_outlier = false and pickup_zone_id is not null and dropoff_zone_id is not null
    and distance_km > 0 and duration_min > 0
  group by 1, 2 order by 1, 2`;
const STORED = `select pickup_zone_id, dropoff_zone_id, rides, sum_ln_distance as d, sum_ln_distance_duration as dt, detection_run_id
  from zone_pair_baseline where service_date = ? order by 1, 2`;

describe.each(databaseTargets)('the zone-pair baseline on $name', (target) => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await target.create();
    await chooseServiceTimeZone(test.db, TZ);
    await loadRideFile(test.db, TLC_SAMPLE, { format: 'auto', dryRun: false, serviceTimeZone: TZ });
  });
  afterAll(async () => {
    await test?.drop();
  });

  it("holds a scored day's unflagged rides by zone pair, written by its run, replaced by a re-run", async () => {
    const first = await scoreForTest(test.db, { serviceDate: '2021-01-01', params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    // no history before the first day: the day is its own baseline
    expect(first.resolved?.context?.ownDayIncluded).toBe(true);
    expect(first.resolved?.context?.baselineDays).toBe(0);
    const check = async (runId: number) => {
      const expected = (await test.db.knex.raw(EXPECTED, ['2021-01-01'])).rows as { rides: number; d: number; dt: number }[];
      const stored = (await test.db.knex.raw(STORED, ['2021-01-01'])).rows as { rides: number; d: number; dt: number; detection_run_id: string }[];
      expect(stored.length).toBe(expected.length);
      expect(stored.length).toBeGreaterThan(100);
      stored.forEach((row, i) => {
        expect(row.rides).toBe(expected[i].rides);
        expect(row.d).toBeCloseTo(expected[i].d, 6);
        expect(row.dt).toBeCloseTo(expected[i].dt, 6);
        expect(Number(row.detection_run_id)).toBe(runId);
      });
      return stored.reduce((n, r) => n + r.rides, 0);
    };
    const total = await check(first.runId);
    const again = await scoreForTest(test.db, { serviceDate: '2021-01-01', params: { ...DEFAULT_DETECTOR }, trigger: 'test', recompute: true });
    expect(again.reusedRunId).toBeNull();
    expect(await check(again.runId)).toBe(total);
    // a re-run that computes nothing (its result is the last run's) leaves that run's rows as they are
    const reused = await scoreForTest(test.db, { serviceDate: '2021-01-01', params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    expect(reused.reusedRunId).toBe(again.runId);
    expect(await check(again.runId)).toBe(total);
  });

  it("is read by the next day's run as its trailing history", async () => {
    const rows = (await test.db.knex.raw(`select sum(rides)::int as rides, count(distinct service_date)::int as days from zone_pair_baseline where service_date < '2021-01-02'`)).rows[0];
    const next = await scoreForTest(test.db, { serviceDate: '2021-01-02', params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    expect(next.resolved?.context?.baselineDays).toBe(rows.days);
    expect(next.resolved?.context?.ownDayIncluded).toBe(false);
    expect(next.resolved?.context?.baselineRides).toBe(rows.rides);
    // a one-ride day is clustered with the rides scored before it
    expect(next.resolved?.referenceRides).toBeGreaterThan(10_000);
    // and `detect` says so, with the levels its rides were judged at
    const summary = formatDetectSummary(next, 'test');
    expect(summary).toContain(`${next.resolved!.referenceRides.toLocaleString('en-US')} of them trailing rides`);
    const levels = next.resolved!.context!.levels;
    expect(summary).toContain(`judged at zone pair ${levels.zone_pair} · zone map ${levels.zone_map} · area pair ${levels.area_pair} · all rides ${levels.all}`);
    // the default judges seldom seen pairs by the zone map, fitted on the trailing pairs
    expect(next.resolved!.context!.map!.zones).toBeGreaterThan(100);
    expect(summary).toContain(`zone map of ${next.resolved!.context!.map!.zones} zones`);
    expect(summary).toContain(`baseline ${rows.rides.toLocaleString('en-US')} rides of ${rows.days} trailing day(s)`);
  });
});
