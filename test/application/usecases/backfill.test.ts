// The backfill as a subprocess against real PostgreSQL (PGlite, and the server when configured).
import { afterEach, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import type { Database } from '../../../src/storage/database.js';

const FROM = '2022-05-01';
const TO = '2022-05-06';
// rides on four of the six days; 05-03 and 05-05 have none
const DAYS_WITH_RIDES = ['2022-05-01', '2022-05-02', '2022-05-04', '2022-05-06'];
const BROKEN_DAY = '2022-05-04';


type DayResult = { day: string; status: string; why?: string; error?: string; runId?: number };

describe.each(processTargets)('ridescan backfill on $name', (target) => {
  let environment: ProcessEnvironment | undefined;
  afterEach(async () => {
    await environment?.cleanup();
    environment = undefined;
  });

  it('a failing day does not stop the others; --only-missing then finishes the job', async () => {
    environment = await target.create();
    await withDb(environment, async (db) => {
      for (const [k, day] of DAYS_WITH_RIDES.entries()) await simulateDay(db, { serviceDate: day, rides: 1200, seed: 40 + k, timeZone: 'UTC' });
      // a real database failure on one day's flag write
      await db.knex.raw(`create function ridescan_test_fail() returns trigger language plpgsql as $$
        begin raise exception 'disk on fire'; end $$`);
      await db.knex.raw(`create trigger ridescan_test_fail before update on rides for each row
        when (new.service_date = '${BROKEN_DAY}') execute function ridescan_test_fail()`);
    });

    const dry = await runCli(['backfill', '--from', FROM, '--to', TO, '--dry-run', '--json'], environment.env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).map((p: { day: string; action: string }) => `${p.day} ${p.action}`)).toEqual([
      '2022-05-01 score',
      '2022-05-02 score',
      '2022-05-03 skip',
      '2022-05-04 score',
      '2022-05-05 skip',
      '2022-05-06 score',
    ]);
    expect(Number((await withDb(environment, (db) => db.knex('detection_runs').count('* as n').first()))!.n)).toBe(0);

    const first = await runCli(['backfill', '--from', FROM, '--to', TO, '--json'], environment.env);
    expect(first.code).toBe(1);
    const results: DayResult[] = JSON.parse(first.stdout).days;
    expect(results.map((r) => `${r.day} ${r.status}`)).toEqual([
      '2022-05-01 succeeded',
      '2022-05-02 succeeded',
      '2022-05-03 skipped',
      '2022-05-04 failed',
      '2022-05-05 skipped',
      '2022-05-06 succeeded',
    ]);
    expect(results[2].why).toBe('no rides');
    expect(results[3].error).toMatch(/disk on fire/);
    // every attempt is in the run history, the failure with its error
    await withDb(environment, async (db) => {
      const failed = await db.knex('detection_runs').where({ service_date: BROKEN_DAY });
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.every((r: { status: string; error: string }) => r.status === 'failed' && /disk on fire/.test(r.error))).toBe(true);
      await db.knex.raw('drop trigger ridescan_test_fail on rides');
    });

    const again = await runCli(['backfill', '--from', FROM, '--to', TO, '--only-missing', '--json'], environment.env);
    expect(again.code).toBe(0);
    const second: DayResult[] = JSON.parse(again.stdout).days;
    expect(second.map((r) => `${r.day} ${r.status}${r.why ? ` (${r.why})` : ''}`)).toEqual([
      '2022-05-01 skipped (already scored)',
      '2022-05-02 skipped (already scored)',
      '2022-05-03 skipped (no rides)',
      '2022-05-04 succeeded',
      '2022-05-05 skipped (no rides)',
      '2022-05-06 skipped (already scored)',
    ]);
    await withDb(environment, async (db) => {
      const unscored = await db.knex('rides').whereNull('is_outlier').count('* as n').first();
      expect(Number(unscored!.n)).toBe(0);
    });

    // the human summary: a table and the totals
    const table = await runCli(['backfill', '--from', FROM, '--to', TO, '--stale'], environment.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/6 days: 0 succeeded, 0 failed, 6 skipped/);
  });

  it('rejects bad ranges and flags with exit code 2', async () => {
    environment = await target.create();
    const backwards = await runCli(['backfill', '--from', TO, '--to', FROM], environment.env);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--from 2022-05-06 is after --to 2022-05-01/);
    const missing = await runCli(['backfill', '--from', FROM], environment.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--to/);
    const concurrency = await runCli(['backfill', '--from', FROM, '--to', TO, '--concurrency', '0'], environment.env);
    expect(concurrency.code).toBe(2);
  });
});
