// `ridescan status --from/--to` over a month with every kind of day, on PGlite and on a server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';

const FROM = '2022-06-01';
const TO = '2022-06-30';
const SCORED = '2022-06-03';
const FAILED = '2022-06-05';
const STALE = '2022-06-07';
const NO_RIDES = '2022-06-09';
const NEVER = '2022-06-10';

interface JsonDay {
  date: string;
  status: string;
  rides: number;
  ridesScored: number;
  outliers: number;
  flagRate: number | null;
  topReasons: { reason: string; rides: number }[];
  lastRun: { id: number; status: string } | null;
}

describe.each(processTargets)('ridescan status over a range on $name', (target) => {
  let environment: ProcessEnvironment;
  beforeAll(async () => {
    environment = await target.create();
    const env = environment.env;
    await withDb(environment, async (db) => {
      for (const [k, day] of [SCORED, FAILED, STALE, NEVER].entries()) await simulateDay(db, { serviceDate: day, rides: 800, seed: 70 + k, timeZone: 'UTC' });
      await db.knex.raw(`create function ridescan_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk on fire'; end $$`);
      await db.knex.raw(`create trigger ridescan_test_fail before update on rides for each row when (new.service_date = '${FAILED}') execute function ridescan_test_fail()`);
    });
    for (const day of [SCORED, STALE, NO_RIDES]) expect((await runCli(['detect', '--date', day], env)).code).toBe(0);
    expect((await runCli(['detect', '--date', FAILED], env)).code).toBe(1);
    // rides arrive after STALE was scored
    await withDb(environment, (db) => simulateDay(db, { serviceDate: STALE, rides: 50, seed: 99, timeZone: 'UTC' }));
  }, 180_000);
  afterAll(() => environment?.cleanup());

  it('--json gives every calendar day with its counts, flag rate and state', async () => {
    const result = await runCli(['status', '--from', FROM, '--to', TO, '--json'], environment.env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { days: JsonDay[]; neverScored: string[]; stale: string[] };
    expect(report.days).toHaveLength(30);
    expect(report.days[0].date).toBe(FROM);
    expect(report.days.at(-1)!.date).toBe(TO);
    const byDay = new Map(report.days.map((d) => [d.date, d]));
    const scored = byDay.get(SCORED)!;
    expect(scored).toMatchObject({ status: 'scored', rides: 800, ridesScored: 800, lastRun: { status: 'succeeded' } });
    expect(scored.outliers).toBeGreaterThan(0);
    expect(scored.flagRate).toBeCloseTo(scored.outliers / 800, 12);
    expect(scored.topReasons.reduce((n, r) => n + r.rides, 0)).toBe(scored.outliers);
    // the same counts as the rides table holds
    await withDb(environment, async (db) => {
      const n = await db.knex('rides').where({ service_date: SCORED, is_outlier: true }).count('* as n').first();
      expect(Number(n!.n)).toBe(scored.outliers);
    });
    expect(byDay.get(FAILED)).toMatchObject({ status: 'never scored', rides: 800, ridesScored: 0, outliers: 0, flagRate: null, lastRun: { status: 'failed' } });
    expect(byDay.get(STALE)).toMatchObject({ status: 'stale', rides: 850, ridesScored: 800, lastRun: { status: 'succeeded' } });
    expect(byDay.get(NO_RIDES)).toMatchObject({ status: 'no rides', rides: 0, flagRate: null, lastRun: { status: 'no_rides' } });
    expect(byDay.get(NEVER)).toMatchObject({ status: 'never scored', rides: 800, lastRun: null });
    const others = report.days.filter((d) => ![SCORED, FAILED, STALE, NO_RIDES, NEVER].includes(d.date));
    expect(others).toHaveLength(25);
    expect(others.every((d) => d.status === 'empty' && d.rides === 0 && d.lastRun === null)).toBe(true);
    expect(report.neverScored).toEqual([FAILED, NEVER]);
    expect(report.stale).toEqual([STALE]);
  });

  it('the table prints the right line for each kind of day', async () => {
    const result = await runCli(['status', '--from', FROM, '--to', TO], environment.env);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const line = (day: string) => lines.find((l) => l.startsWith(day)) ?? '';
    expect(lines.filter((l) => /^2022-06-\d\d /.test(l))).toHaveLength(30);
    expect(line(SCORED)).toMatch(/^2022-06-03\s+800\s+800\s+\d+\s+\d+\.\d\d%\s+\S.*\sscored\s+#\d+\s+succeeded\s/);
    expect(line(FAILED)).toMatch(/^2022-06-05\s+800\s+0\s+0\s+never scored\s+#\d+\s+failed\s/);
    expect(line(STALE)).toMatch(/^2022-06-07\s+850\s+800\s+\d+\s+\d+\.\d\d%\s+\S.*\sstale\s+#\d+\s+succeeded\s/);
    expect(line(NO_RIDES)).toMatch(/^2022-06-09\s+0\s+0\s+0\s+no rides\s+#\d+\s+no_rides\s/);
    expect(line(NEVER)).toMatch(/^2022-06-10\s+800\s+0\s+0\s+never scored\s*$/);
    expect(line('2022-06-01')).toMatch(/^2022-06-01\s+0\s+0\s+0\s+empty\s*$/);
    expect(result.stdout).toMatch(/never scored: 2022-06-05, 2022-06-10/);
    expect(result.stdout).toMatch(/empty:\s+25 of 30 days have no rides loaded/);
  });

  it('runs shows the resolved detector parameters in its table', async () => {
    const result = await runCli(['runs', '--date', SCORED], environment.env);
    expect(result.code).toBe(0);
    const json = JSON.parse((await runCli(['runs', '--date', SCORED, '--json'], environment.env)).stdout)[0];
    const { eps, minSamples } = json.parameters.resolved.dbscan;
    expect(result.stdout).toContain(`dbscan eps ${Number(eps.toPrecision(3))} (auto) min_samples ${minSamples}, no sample`);
  });

  it('--days has no 3660 cap; a backwards range is a usage error', async () => {
    const long = await runCli(['status', '--to', TO, '--days', '5000', '--json'], environment.env);
    expect(long.code).toBe(0);
    const days = JSON.parse(long.stdout).days as JsonDay[];
    expect(days).toHaveLength(5001);
    expect(days.filter((d) => d.status !== 'empty').map((d) => d.date)).toEqual([SCORED, FAILED, STALE, NO_RIDES, NEVER]);
    const backwards = await runCli(['status', '--from', TO, '--to', FROM], environment.env);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--from 2022-06-30 is after --to 2022-06-01/);
    expect((await runCli(['status', '--from', '1900-01-01', '--to', '2200-01-01'], environment.env)).code).toBe(2);
  });

  it('detect of a day unchanged since its last run computes nothing and says so, runs says whose result stands, --recompute computes', async () => {
    const again = await runCli(['detect', '--date', SCORED, '--json'], environment.env);
    expect(again.code).toBe(0);
    const run = JSON.parse(again.stdout);
    expect(run).toMatchObject({ status: 'succeeded', flagsWritten: 0 });
    expect(run.reusedRunId).toBeGreaterThan(0);
    const summary = await runCli(['detect', '--date', SCORED], environment.env);
    expect(summary.stdout).toContain(`computed        nothing: the day's rides, its flags and the detector's inputs are as run #${run.reusedRunId} left them`);
    const table = await runCli(['runs', '--date', SCORED, '--limit', '1'], environment.env);
    expect(table.stdout).toContain(`unchanged: result of #${run.reusedRunId}`);
    const recomputed = await runCli(['detect', '--date', SCORED, '--recompute', '--json'], environment.env);
    expect(JSON.parse(recomputed.stdout)).toMatchObject({ reusedRunId: null, flagsWritten: 0 });
  });
});
