// `ridescan prune --before D`: a dry run without --yes, the days' rides dropped with --yes and
// their run history kept, status and runs after it, a day being scored not dropped, and a pruned
// day loaded and scored again. In-process CLI on PGlite and, with TEST_DATABASE_URL, a server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { LOCKS } from '../../../src/storage/locks.js';
import { listDayPartitions } from '../../../src/storage/ridePartitions.js';
import type { Database } from '../../../src/storage/database.js';
import { prune } from '../../../src/application/usecases/prune.js';
import { resolveConfig } from '../../../src/application/config.js';

const DAYS = ['2021-07-01', '2021-07-02', '2021-07-03'];
const RIDES_PER_DAY = 300;

/** A company CSV of RIDES_PER_DAY plausible rides on each day of DAYS (UTC times). */
function ridesCsv(): string {
  const lines = ['ride_id,taxi_id,pickup_at,dropoff_at,distance_km'];
  for (const day of DAYS) {
    for (let i = 0; i < RIDES_PER_DAY; i++) {
      const pickup = Date.parse(`${day}T06:00:00Z`) + i * 150_000;
      const minutes = 6 + (i % 23);
      const km = (minutes * (0.35 + (i % 7) * 0.04)).toFixed(2);
      lines.push(`pr-${day}-${i},T${i % 40},${new Date(pickup).toISOString()},${new Date(pickup + minutes * 60_000).toISOString()},${km}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Counts {
  byDay: Record<string, number>;
  runs: number;
  loads: number;
  prunes: { before: string; days: string; rides_dropped: number; by_user: string }[];
  partitions: string[];
}

async function counts(db: Database): Promise<Counts> {
  const byDay = Object.fromEntries(
    ((await db.knex.raw(`select to_char(service_date, 'YYYY-MM-DD') as day, count(*)::int as n from rides group by 1`)).rows as { day: string; n: number }[]).map((r) => [r.day, r.n]),
  );
  const one = async (sql: string) => (await db.knex.raw(sql)).rows[0].n as number;
  return {
    byDay,
    runs: await one('select count(*)::int as n from detection_runs'),
    loads: await one('select count(*)::int as n from loads'),
    prunes: (await db.knex.raw(`select to_char(before, 'YYYY-MM-DD') as before, days::text as days, rides_dropped::int, by_user from prunes order by id`)).rows,
    partitions: (await listDayPartitions(db.knex)).map((p) => p.day),
  };
}

describe.each(processTargets)('ridescan prune on $name', (target) => {
  let environment: ProcessEnvironment;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    environment = await target.create();
    dir = mkdtempSync(join(tmpdir(), 'ridescan-prune-'));
    file = join(dir, 'rides.csv');
    writeFileSync(file, ridesCsv());
    expect((await runCli(['migrate'], environment.env)).code).toBe(0);
    expect((await runCli(['load', file], environment.env)).code).toBe(0);
    for (const day of DAYS.slice(0, 2)) expect((await runCli(['detect', '--date', day], environment.env)).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await environment?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = () => environment.env;

  it('without --yes says what it would drop and changes nothing', async () => {
    const before = await withDb(environment, counts);
    const run = await runCli(['prune', '--before', '2021-07-03'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`would prune 2 day(s), 2021-07-01 to 2021-07-02: ${(2 * RIDES_PER_DAY).toLocaleString('en-US')} rides (dry run: nothing changed; run again with --yes)`);
    expect(await withDb(environment, counts)).toEqual(before);
  });

  it('a bad --before exits 2 naming the flag', async () => {
    const run = await runCli(['prune', '--before', '2021-13-01', '--yes'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--before/);
    expect((await runCli(['prune', '--yes'], env())).code).toBe(2);
  });

  it.runIf(target.name === 'server')('refuses while a day to drop is being scored, and drops nothing', async () => {
    await withDb(environment, async (db) => {
      const release = await db.tryLock(LOCKS.scoreDay('2021-07-01'));
      expect(release).not.toBeNull();
      try {
        const before = await counts(db);
        const run = await runCli(['prune', '--before', '2021-07-03', '--yes'], env());
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/scoring of 2021-07-01 is in progress: nothing was dropped/);
        expect(await counts(db)).toEqual(before);
      } finally {
        await release!();
      }
    });
  });

  it('with --yes drops the days before, keeps their runs and loads, records it; status and runs still show them', async () => {
    const before = await withDb(environment, counts);
    const run = await runCli(['prune', '--before', '2021-07-03', '--yes', '--json'], env());
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ before: '2021-07-03', applied: true, rides: 2 * RIDES_PER_DAY, days: [{ day: '2021-07-01', rides: RIDES_PER_DAY }, { day: '2021-07-02', rides: RIDES_PER_DAY }] });
    const after = await withDb(environment, counts);
    expect(after.byDay).toEqual({ '2021-07-03': RIDES_PER_DAY });
    expect(after.partitions.filter((d) => d < '2021-07-03')).toEqual([]);
    expect(after.runs).toBe(before.runs);
    expect(after.loads).toBe(before.loads);
    expect(after.prunes).toEqual([{ before: '2021-07-03', days: '{2021-07-01,2021-07-02}', rides_dropped: 2 * RIDES_PER_DAY, by_user: expect.any(String) }]);
    expect(result.pruneIds).toHaveLength(1);

    const status = JSON.parse((await runCli(['status', '--from', '2021-07-01', '--to', '2021-07-03', '--json'], env())).stdout) as {
      days: { date: string; status: string; rides: number; lastRun: { status: string } | null }[];
    };
    expect(status.days.map((d) => [d.date, d.status, d.rides, d.lastRun?.status ?? null])).toEqual([
      ['2021-07-01', 'pruned', 0, 'succeeded'],
      ['2021-07-02', 'pruned', 0, 'succeeded'],
      ['2021-07-03', 'never scored', RIDES_PER_DAY, null],
    ]);
    const runs = await runCli(['runs', '--date', '2021-07-01', '--json'], env());
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toHaveLength(1);
    // a backfill over the range scores the day with rides and skips the pruned ones
    const backfill = await runCli(['backfill', '--from', '2021-07-01', '--to', '2021-07-03', '--json'], env());
    expect(backfill.code).toBe(0);
    expect(backfill.stdout).toMatch(/pruned/);
    expect((await withDb(environment, counts)).runs).toBe(before.runs + 1);
    // nothing left before the day: a second prune has nothing to do
    const again = await runCli(['prune', '--before', '2021-07-03', '--yes'], env());
    expect(again.stdout).toMatch(/nothing to prune/);
  });

  it("loading a pruned day's file again brings its rides back, and the day can be scored again", async () => {
    const load = await runCli(['load', file, '--json'], env());
    expect(load.code).toBe(0);
    expect(load.stdout).toMatch(new RegExp(`"rowsLoaded": ${2 * RIDES_PER_DAY}\\b`));
    expect((await withDb(environment, counts)).byDay).toEqual(Object.fromEntries(DAYS.map((d) => [d, RIDES_PER_DAY])));
    expect((await runCli(['detect', '--date', '2021-07-01'], env())).code).toBe(0);
    const status = JSON.parse((await runCli(['status', '--from', '2021-07-01', '--to', '2021-07-01', '--json'], env())).stdout);
    expect(status.days[0]).toMatchObject({ status: 'scored', rides: RIDES_PER_DAY });
  });

  it('a prune of more days than one transaction takes is several, oldest first, each recorded', async () => {
    const before = await withDb(environment, counts);
    const summary = await prune(resolveConfig(env()), '2021-07-03', { apply: true, daysPerTransaction: 1 });
    expect(summary.days).toEqual([{ day: '2021-07-01', rides: RIDES_PER_DAY }, { day: '2021-07-02', rides: RIDES_PER_DAY }]);
    expect(summary.pruneIds).toHaveLength(2);
    const after = await withDb(environment, counts);
    expect(after.byDay).toEqual({ '2021-07-03': RIDES_PER_DAY });
    expect(after.prunes.slice(before.prunes.length).map((p) => [p.days, p.rides_dropped])).toEqual([
      ['{2021-07-01}', RIDES_PER_DAY],
      ['{2021-07-02}', RIDES_PER_DAY],
    ]);
  });
});
