// The service time zone as a property of the database (issue 11): migrate --time-zone, the first
// TLC load choosing New York, `ridescan time-zone` moving rides, status showing it, and RIDESCAN_TZ
// no longer deciding anything. In-process CLI on PGlite and, with TEST_DATABASE_URL, a server.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { runCli } from '../../support/runCli.js';
import { readSettings } from '../../../src/storage/settings.js';
import type { Database } from '../../../src/storage/database.js';

const TLC_HEAD = fileURLToPath(new URL('../../fixtures/tlc/yellow_tripdata_2021-01_head.csv', import.meta.url));

/** Rides per pickup date as the file writes it (New York wall-clock), complete lines only. */
function fileDays(): Map<string, number> {
  const lines = readFileSync(TLC_HEAD, 'utf8').split('\n').slice(1);
  const days = new Map<string, number>();
  for (const line of lines) {
    const fields = line.split(',');
    if (fields.length !== 18) continue; // the cut last line, rejected by the load
    const day = fields[1].slice(0, 10);
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  return days;
}

async function ridesByDay(db: Database): Promise<Map<string, number>> {
  const rows = (await db.knex.raw(`select to_char(service_date, 'YYYY-MM-DD') as day, count(*)::int as n from rides group by 1 order by 1`)).rows as { day: string; n: number }[];
  return new Map(rows.map((r) => [r.day, r.n]));
}

interface StatusJson {
  timeZone: { zone: string; source: string; setAt: string };
  days: { date: string; status: string; rides: number; ridesScored: number }[];
}

describe.each(processTargets)('the service time zone on $name', (target) => {
  let environment: ProcessEnvironment;
  beforeAll(async () => {
    environment = await target.create();
  });
  afterAll(() => environment?.cleanup());
  const env = () => environment.env;

  it('a bad --time-zone exits 2 naming the flag, and changes nothing', async () => {
    const run = await runCli(['migrate', '--time-zone', 'Mars/Olympus_Mons'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--time-zone.*Mars\/Olympus_Mons.*not an IANA time zone/);
    const change = await runCli(['time-zone', 'Not/AZone'], env());
    expect(change.code).toBe(2);
    expect(change.stderr).toMatch(/zone.*not an IANA time zone/);
  });

  it('the first TLC file into a fresh database sets New York and says so; its days are New York dates', async () => {
    expect((await runCli(['migrate'], env())).code).toBe(0);
    const before = await runCli(['time-zone'], env());
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/service time zone: UTC \(the default, never chosen\)/);

    const loaded = await runCli(['load', TLC_HEAD], env());
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout.split('\n').filter((l) => l.includes('time zone'))).toHaveLength(1);
    expect(loaded.stdout).toMatch(/time zone +service days are now in America\/New_York: the first load/);
    expect(loaded.stdout).not.toMatch(/WARNING/);

    const expected = fileDays();
    await withDb(environment, async (db) => {
      expect((await readSettings(db)).timeZone).toMatchObject({ zone: 'America/New_York', source: 'first load' });
      // every ride on the date its pickup has on New York's clocks, as the file writes it
      expect(await ridesByDay(db)).toEqual(expected);
      const [busiest] = [...expected.entries()].sort((a, b) => b[1] - a[1]);
      expect(busiest[0]).toBe('2021-01-01');
    });

    // a second TLC file claims nothing: the zone stays as the first load set it
    const again = await runCli(['load', TLC_HEAD], env());
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/time zone/);
  });

  it('status shows the zone and how it was set, in its header and in --json', async () => {
    const table = await runCli(['status', '--from', '2020-12-31', '--to', '2021-01-03'], env());
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/service days 2020-12-31 to 2021-01-03 in America\/New_York \(set by the first load, a TLC file, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(table.stdout).toMatch(/next tick: .* in America\/New_York\)/);
    const json = JSON.parse((await runCli(['status', '--from', '2020-12-31', '--to', '2021-01-03', '--json'], env())).stdout) as StatusJson;
    expect(json.timeZone).toMatchObject({ zone: 'America/New_York', source: 'first load' });
    // the schedule ticks in the database's zone: 03:00 on New York's clocks
    const cron = JSON.parse((await runCli(['status', '--days', '1', '--json'], { ...env(), RIDESCAN_CRON: '0 3 * * *' })).stdout) as { nextTick: string };
    const hour = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(new Date(cron.nextTick));
    expect(Number(hour)).toBe(3);
    expect(new Date(cron.nextTick).getUTCHours()).not.toBe(3);
  });

  it('migrate --time-zone refuses to re-zone a database with rides, pointing at time-zone', async () => {
    const run = await runCli(['migrate', '--time-zone', 'Asia/Tokyo'], env());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--time-zone Asia\/Tokyo: the database already has rides.*America\/New_York.*ridescan time-zone Asia\/Tokyo/);
    await withDb(environment, async (db) => expect((await readSettings(db)).timeZone.zone).toBe('America/New_York'));
    // the zone it already has: accepted, and now a choice
    const same = await runCli(['migrate', '--time-zone', 'America/New_York'], env());
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/service time zone: America\/New_York \(chosen /);
  });

  it('RIDESCAN_TZ: the same zone is ignored with a notice; another exits 2 naming both and the command', async () => {
    const same = await runCli(['status', '--days', '1', '--json'], { ...env(), RIDESCAN_TZ: 'America/New_York' });
    expect(same.code).toBe(0);
    expect(same.stderr.trim().split('\n')).toEqual([expect.stringMatching(/RIDESCAN_TZ is deprecated and ignored/)]);
    for (const command of [['status'], ['detect', '--date', '2021-01-01'], ['load', TLC_HEAD]]) {
      const other = await runCli(command, { ...env(), RIDESCAN_TZ: 'UTC' });
      expect(other.code, command.join(' ')).toBe(2);
      expect(other.stderr).toMatch(/RIDESCAN_TZ=UTC but the database's service time zone is America\/New_York.*ridescan time-zone UTC/);
    }
    // time-zone itself shows the zone and says what is wrong
    const shown = await runCli(['time-zone'], { ...env(), RIDESCAN_TZ: 'UTC' });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/America\/New_York/);
    expect(shown.stderr).toMatch(/RIDESCAN_TZ=UTC differs/);
  });

  it('time-zone moves the rides whose day changes, clears only their flags, and status shows their days unscored', async () => {
    for (const day of ['2020-12-31', '2021-01-01', '2021-01-02']) {
      const detected = await runCli(['detect', '--date', day], env());
      expect(detected.code, detected.stderr).toBe(0);
    }
    type Ride = { ride_id: string; day: string; utc_day: string; is_outlier: boolean | null; outlier_reason: string | null; outlier_score: number | null; detection_run_id: string | null };
    const snapshot = () =>
      withDb(environment, async (db) => {
        const rows = (await db.knex.raw(`select ride_id, to_char(service_date, 'YYYY-MM-DD') as day,
            to_char((pickup_at at time zone 'UTC')::date, 'YYYY-MM-DD') as utc_day,
            is_outlier, outlier_reason, outlier_score, detection_run_id from rides`)).rows as Ride[];
        return new Map(rows.map((r) => [r.ride_id, r]));
      });
    const before = await snapshot();
    expect([...before.values()].every((r) => r.is_outlier !== null)).toBe(true);
    const moving = [...before.values()].filter((r) => r.day !== r.utc_day);
    expect(moving.length).toBeGreaterThan(0);

    // without --yes: what would move, nothing written
    const dry = await runCli(['time-zone', 'UTC'], env());
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/would become UTC \(dry run/);
    expect(dry.stdout).toContain(`rides would move: ${moving.length.toLocaleString('en-US')}`);
    expect(await snapshot()).toEqual(before);

    const applied = await runCli(['time-zone', 'UTC', '--yes', '--json'], env());
    expect(applied.code, applied.stderr).toBe(0);
    const change = JSON.parse(applied.stdout) as { applied: boolean; ridesMoved: number; affectedDays: string[]; moves: { from: string; to: string; rides: number }[] };
    expect(change).toMatchObject({ applied: true, ridesMoved: moving.length });
    expect(change.affectedDays).toEqual([...new Set(moving.flatMap((r) => [r.day, r.utc_day]))].sort());

    const after = await snapshot();
    expect(after.size).toBe(before.size);
    for (const [id, old] of before) {
      const now = after.get(id)!;
      expect(now.day).toBe(old.utc_day);
      if (old.day === old.utc_day) {
        expect(now).toEqual(old); // not moved: flags as they were
      } else {
        expect(now).toMatchObject({ is_outlier: null, outlier_reason: null, outlier_score: null, detection_run_id: null });
      }
    }

    const movedIn = new Map<string, number>();
    for (const r of moving) movedIn.set(r.utc_day, (movedIn.get(r.utc_day) ?? 0) + 1);
    const status = JSON.parse((await runCli(['status', '--from', '2020-12-30', '--to', '2021-01-03', '--json'], env())).stdout) as StatusJson;
    expect(status.timeZone).toMatchObject({ zone: 'UTC', source: 'chosen' });
    for (const [day, n] of movedIn) {
      const d = status.days.find((x) => x.date === day)!;
      expect(d.rides - d.ridesScored, day).toBe(n);
      // a day scored before the move is stale; one no run scored is never scored
      expect(d.status, day).toBe(['2020-12-31', '2021-01-01', '2021-01-02'].includes(day) ? 'stale' : 'never scored');
    }
    // the table says how many moved and which days
    const back = await runCli(['time-zone', 'America/New_York', '--yes'], env());
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`rides moved: ${moving.length.toLocaleString('en-US')}`);
    expect(back.stdout).toMatch(/days affected: \d+ \(\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\)/);
    await withDb(environment, async (db) => expect(await ridesByDay(db)).toEqual(fileDays()));
  });
});

describe.each(processTargets)('TLC into a database that already has rides, on $name', (target) => {
  let environment: ProcessEnvironment;
  beforeAll(async () => {
    environment = await target.create();
  });
  afterAll(() => environment?.cleanup());

  it('simulate keeps UTC on a fresh database; a TLC file then loads in UTC with the warning', async () => {
    expect((await runCli(['migrate'], environment.env)).code).toBe(0);
    expect((await runCli(['simulate', '--date', '2021-01-05', '--rides', '50'], environment.env)).code).toBe(0);
    await withDb(environment, async (db) => expect((await readSettings(db)).timeZone).toMatchObject({ zone: 'UTC', source: 'default' }));
    const loaded = await runCli(['load', TLC_HEAD, '--dry-run'], environment.env);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(/WARNING +TLC times are America\/New_York local time, but this database's service days are in UTC.*ridescan time-zone America\/New_York/);
    expect(loaded.stdout).not.toMatch(/time zone +service days/);
  });

  it('migrate --time-zone on an empty database stores the choice', async () => {
    const fresh = await target.create();
    try {
      const run = await runCli(['migrate', '--time-zone', 'europe/paris'], fresh.env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/service time zone: Europe\/Paris \(chosen/);
      await withDb(fresh, async (db) => expect((await readSettings(db)).timeZone).toMatchObject({ zone: 'Europe/Paris', source: 'chosen' }));
      // a TLC file into a chosen zone does not override it: it warns
      const loaded = await runCli(['load', TLC_HEAD, '--dry-run'], fresh.env);
      expect(loaded.stdout).toMatch(/WARNING .*service days are in Europe\/Paris/);
    } finally {
      await fresh.cleanup();
    }
  });
});
