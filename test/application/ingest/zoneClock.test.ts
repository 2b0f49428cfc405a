// The loader resolves wall-clock times to instants itself (rows go in by COPY): it must agree with
// PostgreSQL's `at time zone` everywhere, the daylight-saving gaps and overlaps included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { ZoneClock } from '../../../src/application/ingest/zoneClock.js';

const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];
// every 15 minutes over the days around each zone's transitions (and one ordinary day)
const DAYS = ['2021-03-13', '2021-03-14', '2021-03-28', '2021-04-04', '2021-10-03', '2021-10-31', '2021-11-07', '2021-06-15', '1985-04-28'];

function wallTimes(): string[] {
  const times: string[] = [];
  for (const day of DAYS) {
    const start = Date.parse(`${day}T00:00:00Z`);
    for (let m = 0; m < 48 * 60; m += 15) times.push(new Date(start + m * 60_000).toISOString().slice(0, 19).replace('T', ' '));
  }
  return times;
}

describe.each(databaseTargets)('zone clock against $name', (target) => {
  const t = useTestDatabase(target);

  it.each(ZONES)('resolves wall-clock times and local dates in %s as PostgreSQL does', async (zone) => {
    const times = wallTimes();
    const result = await t.db.knex.raw(
      `select w, extract(epoch from (w::timestamp at time zone ?)) * 1000 as instant_ms,
              (w::timestamp at time zone ? at time zone ?)::date - date '1970-01-01' as local_day
       from unnest(?::text[]) as w`,
      [zone, zone, zone, `{${times.map((w) => `"${w}"`).join(',')}}`],
    );
    const clock = new ZoneClock(zone);
    const differences: string[] = [];
    for (const row of result.rows as { w: string; instant_ms: string | number; local_day: number }[]) {
      const wall = Date.parse(`${row.w.replace(' ', 'T')}Z`);
      const instant = clock.instantOf(wall);
      if (instant !== Number(row.instant_ms)) differences.push(`${row.w}: ${new Date(instant).toISOString()} vs ${new Date(Number(row.instant_ms)).toISOString()}`);
      if (clock.localDay(instant) !== Number(row.local_day)) differences.push(`${row.w}: day ${clock.localDay(instant)} vs ${row.local_day}`);
    }
    expect(differences).toEqual([]);
  });
});
