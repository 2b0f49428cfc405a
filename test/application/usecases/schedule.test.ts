// The scheduler as a subprocess against real PostgreSQL (PGlite, and the server when configured).
import { afterEach, describe, expect, it } from 'vitest';
import { processTargets, logLines, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli, startCli } from '../../support/runCli.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { addDays, localDateOf } from '../../../src/application/serviceDays.js';
import type { Database } from '../../../src/storage/database.js';

const today = localDateOf(new Date(), 'UTC');
const daysAgo = (n: number) => addDays(today, -n);

async function seed(environment: ProcessEnvironment, days: [string, number][]): Promise<void> {
  const db = await environment.open();
  try {
    for (const [day, seed] of days) await simulateDay(db, { serviceDate: day, rides: 1500, seed, timeZone: 'UTC' });
  } finally {
    await db.close();
  }
}


const runsOf = (db: Database) =>
  db.knex('detection_runs').select('id', 'status', 'trigger', 'error', db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`)).orderBy('id');
const flagsOf = (db: Database, day: string) =>
  db.knex('rides').select('ride_id', 'is_outlier', 'outlier_reason', 'outlier_score').where({ service_date: day }).orderBy('ride_id');

describe.each(processTargets)('ridescan schedule on $name', (target) => {
  let environment: ProcessEnvironment | undefined;
  afterEach(async () => {
    await environment?.cleanup();
    environment = undefined;
  });

  it('catches up on missed nights, oldest first, and then has nothing to do', async () => {
    environment = await target.create();
    await seed(environment, [[daysAgo(1), 1], [daysAgo(2), 2], [daysAgo(3), 3], [daysAgo(12), 4]]);

    const first = await runCli(['schedule', '--once'], environment.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const scoredLines = logLines(first.stdout).filter((l) => String(l.msg).startsWith('scored '));
    expect(scoredLines.map((l) => l.day)).toEqual([daysAgo(3), daysAgo(2), daysAgo(1)]);
    expect(scoredLines.every((l) => typeof l.runId === 'number' && l.rides === 1500 && typeof l.seconds === 'number')).toBe(true);

    await withDb(environment, async (db) => {
      const runs = await runsOf(db);
      expect(runs.map((r: { day: string }) => r.day)).toEqual([daysAgo(3), daysAgo(2), daysAgo(1)]);
      expect(runs.every((r: { status: string; trigger: string }) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
      // outside the catch-up window: left alone
      expect((await flagsOf(db, daysAgo(12))).every((r: { is_outlier: boolean | null }) => r.is_outlier === null)).toBe(true);
    });

    // what an engineer checks after it: the run history and the day status
    const runs = await runCli(['runs', '--json'], environment.env);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).map((r: { service_date: string; status: string }) => `${r.service_date} ${r.status}`)).toEqual([
      `${daysAgo(1)} succeeded`,
      `${daysAgo(2)} succeeded`,
      `${daysAgo(3)} succeeded`,
    ]);
    const table = await runCli(['runs', '--date', daysAgo(2)], environment.env);
    expect(table.stdout.trim().split('\n')).toHaveLength(3); // header, rule, one run
    const status = await runCli(['status', '--json'], { ...environment.env, RIDESCAN_CRON: '0 3 * * *' });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.neverScored).toEqual([daysAgo(12)]);
    expect(report.stale).toEqual([]);
    // every calendar day is listed now; those with rides or runs are these
    expect(report.days.filter((d: { state: string }) => d.state !== 'empty').map((d: { day: string; state: string }) => `${d.day} ${d.state}`)).toEqual([
      `${daysAgo(12)} never scored`,
      `${daysAgo(3)} scored`,
      `${daysAgo(2)} scored`,
      `${daysAgo(1)} scored`,
    ]);
    expect(new Date(report.nextTick).getUTCHours()).toBe(3);

    const second = await runCli(['schedule', '--once'], environment.env);
    expect(second.code).toBe(0);
    const secondLog = logLines(second.stdout);
    expect(secondLog.some((l) => l.msg === 'every day with rides is scored')).toBe(true);
    // the days of the window without rides (after the first day the database has) are named
    const missing = secondLog.find((l) => String(l.msg).startsWith('no rides loaded for'));
    expect(missing).toMatchObject({ level: 40, days: [daysAgo(7), daysAgo(6), daysAgo(5), daysAgo(4)] });

    // rides arrive for a scored day: its flags are stale, and the next tick re-scores it
    await seed(environment, [[daysAgo(2), 77]]);
    const third = await runCli(['schedule', '--once'], environment.env);
    expect(third.code).toBe(0);
    expect(logLines(third.stdout).filter((l) => String(l.msg).startsWith('scored ')).map((l) => l.day)).toEqual([daysAgo(2)]);
    await withDb(environment, async (db) => {
      expect((await flagsOf(db, daysAgo(2))).every((r: { is_outlier: boolean | null }) => r.is_outlier !== null)).toBe(true);
      expect(await runsOf(db)).toHaveLength(4);
    });
  });

  it('two schedulers started at once score each day exactly once', async () => {
    environment = await target.create();
    await seed(environment, [[daysAgo(1), 5], [daysAgo(2), 6], [daysAgo(3), 7], [daysAgo(4), 8]]);
    const [a, b] = await Promise.all([runCli(['schedule', '--once'], environment.env), runCli(['schedule', '--once'], environment.env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    await withDb(environment, async (db) => {
      const runs = await runsOf(db);
      const perDay = new Map<string, number>();
      for (const r of runs as { day: string; status: string }[]) if (r.status === 'succeeded') perDay.set(r.day, (perDay.get(r.day) ?? 0) + 1);
      expect(Object.fromEntries(perDay)).toEqual({ [daysAgo(4)]: 1, [daysAgo(3)]: 1, [daysAgo(2)]: 1, [daysAgo(1)]: 1 });
      expect(runs.every((r: { status: string }) => r.status === 'succeeded')).toBe(true);
    });
  });

  it('a process killed with SIGKILL mid-run leaves the previous flags; the next run repairs the day', async () => {
    environment = await target.create();
    const day = daysAgo(1);
    await seed(environment, [[day, 9]]);
    expect((await runCli(['schedule', '--once'], environment.env)).code).toBe(0);
    const before = await withDb(environment, async (db) => {
      // new rides make the day stale; a trigger holds the next flag write open long enough to kill it
      await simulateDay(db, { serviceDate: day, rides: 300, seed: 99, timeZone: 'UTC' });
      await db.knex.raw(`create function ridescan_test_slow() returns trigger language plpgsql as $$ begin perform pg_sleep(6); return null; end $$`);
      await db.knex.raw(`create trigger ridescan_test_slow after update on rides for each statement execute function ridescan_test_slow()`);
      return flagsOf(db, day);
    });

    const victim = startCli(['schedule', '--once'], environment.env);
    await victim.waitFor('"phase":"write"');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    victim.child.kill('SIGKILL');
    const killed = await victim.exited;
    expect(killed.signal).toBe('SIGKILL');

    await withDb(environment, async (db) => {
      expect(await flagsOf(db, day)).toEqual(before);
      const runs = await runsOf(db);
      expect(runs.at(-1)).toMatchObject({ day, status: 'running' });
      await db.knex.raw('drop trigger ridescan_test_slow on rides');
    });

    const repair = await runCli(['schedule', '--once'], environment.env);
    expect(repair.code).toBe(0);
    expect(logLines(repair.stdout).some((l) => String(l.msg).startsWith('marked runs of processes that died'))).toBe(true);
    await withDb(environment, async (db) => {
      const runs = await runsOf(db);
      expect(runs.map((r: { status: string }) => r.status)).toEqual(['succeeded', 'failed', 'succeeded']);
      expect(runs[1].error).toMatch(/abandoned/);
      expect((await flagsOf(db, day)).every((r: { is_outlier: boolean | null }) => r.is_outlier !== null)).toBe(true);
    });
  });
});

describe('ridescan schedule: usage', () => {
  it('rejects a bad cron expression with exit code 2, naming the setting', async () => {
    const target = processTargets[0];
    const environment = await target.create();
    try {
      const run = await runCli(['schedule', '--once'], { ...environment.env, RIDESCAN_CRON: 'every night' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/RIDESCAN_CRON.*not a cron expression/);
    } finally {
      await environment.cleanup();
    }
  });
});
