// The operations team's reading of a scored day, on both sources: every query of README's
// "Queries for the operations team" runs through `ridescan query` on a company-CSV day and on the
// TLC sample's day, and every flagged ride has its explanation (ride_flag_explanations).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processTargets, withDb, type ProcessEnvironment } from '../support/processEnvironments.js';
import { runCli } from '../support/runCli.js';
import { loadBookRides } from '../support/bookFixture.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const TLC_DAY = '2021-01-01';
const COMPANY_DAY = '2023-03-22';
/** the day the README's queries are written for */
const README_DAY = '2021-01-01';

interface ReadmeQuery {
  title: string;
  sql: string;
  only?: 'company' | 'tlc';
}

/** The SQL block of README's ops section, split at each comment line that titles a query. */
export function readmeQueries(): ReadmeQuery[] {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Queries for the operations team'));
  const block = section.slice(section.indexOf('```sql') + 6, section.indexOf('```', section.indexOf('```sql') + 6));
  return block
    .split(/^-- /m)
    .filter((chunk) => chunk.trim())
    .map((chunk) => {
      const [title, ...lines] = chunk.split('\n');
      const only = /company CSV only/.test(title) ? 'company' : /TLC only/.test(title) ? 'tlc' : undefined;
      return { title, sql: lines.join('\n').trim().replace(/;$/, ''), only };
    });
}

/** The book's 400 rides as the company's export (rides-csv): one day, 40 taxis, pickups spread over it. */
function companyCsv(path: string): void {
  const lines = ['ride_id,taxi_id,pickup_at,dropoff_at,distance_km'];
  const at = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  loadBookRides().forEach((r, i) => {
    const pickup = Date.parse(`${COMPANY_DAY}T00:00:00Z`) + i * 180_000;
    lines.push(`${r.rideId},T${String(i % 40).padStart(3, '0')},${at(pickup)},${at(pickup + Math.round(r.durationMin * 60_000))},${r.distanceKm}`);
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
}

describe.each(processTargets)('the ops queries and flag explanations on $name', (target) => {
  let environment: ProcessEnvironment;
  let env: Record<string, string | undefined>;
  let scratch: string;
  beforeAll(async () => {
    environment = await target.create();
    env = environment.env;
    scratch = mkdtempSync(join(tmpdir(), 'ridescan-ops-'));
    companyCsv(join(scratch, 'company.csv'));
    // the company CSV loads first, so that the TLC file does not pick the zone: chosen here
    expect((await runCli(['migrate', '--time-zone', 'America/New_York'], env)).code).toBe(0);
    for (const file of [join(scratch, 'company.csv'), join(fixtures, 'tlc/yellow_tripdata_2021-01_head.csv')]) {
      const loaded = await runCli(['load', file], env);
      expect(loaded.code, loaded.stderr).toBe(0);
    }
    for (const day of [TLC_DAY, COMPANY_DAY]) expect((await runCli(['detect', '--date', day], env)).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await environment?.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('README has the queries this test runs', () => {
    const queries = readmeQueries();
    expect(queries.length).toBeGreaterThanOrEqual(4);
    expect(queries.every((q) => q.sql.includes(`'${README_DAY}'`))).toBe(true);
    expect(queries.filter((q) => q.only).map((q) => q.only)).toEqual(['company', 'tlc']);
  });

  for (const [source, day] of [['company', COMPANY_DAY], ['tlc', TLC_DAY]] as const) {
    it(`every README ops query gives rows on a scored ${source} day`, async () => {
      for (const q of readmeQueries().filter((q) => !q.only || q.only === source)) {
        const result = await runCli(['query', q.sql.replaceAll(README_DAY, day), '--json'], env);
        expect(result.stderr, q.title).toBe('');
        expect(result.code, q.title).toBe(0);
        const rows = JSON.parse(result.stdout) as Record<string, unknown>[];
        expect(rows.length, q.title).toBeGreaterThan(0);
        // the day was substituted, so the rows are the day's (not an empty or another day's answer)
        if ('service_date' in rows[0]) expect(rows.map((r) => r.service_date), q.title).toContain(day);
      }
    });

    it(`every flagged ride of the ${source} day has its explanation`, async () => {
      await withDb(environment, async (db) => {
        const flagged = await db.knex('rides').where({ service_date: day, is_outlier: true }).select('ride_id', 'distance_km', 'duration_min').orderBy('ride_id');
        expect(flagged.length).toBeGreaterThan(0);
        const explained = await db.knex('ride_flag_explanations').where({ service_date: day }).orderBy('ride_id');
        expect(explained.map((e: { ride_id: string }) => e.ride_id)).toEqual(flagged.map((f: { ride_id: string }) => f.ride_id));
        for (const e of explained) {
          expect(e.expected_from, e.ride_id).toMatch(/^normal rides of the day in its distance band|^all normal rides/);
          expect(Number(e.expected_from_rides)).toBeGreaterThan(0);
          expect(Number.isFinite(e.expected_distance_km) && Number.isFinite(e.expected_duration_min)).toBe(true);
          if (Number.isFinite(e.distance_km)) expect(e.distance_excess_km).toBeCloseTo(e.distance_km - e.expected_distance_km, 9);
          if (e.expected_duration_min > 0 && Number.isFinite(e.duration_min)) expect(e.duration_ratio).toBeCloseTo(e.duration_min / e.expected_duration_min, 9);
        }
        // the expected values are the medians of the normal rides of the ride's band, checked for one ride
        const e = explained.find((x: { expected_from: string }) => x.expected_from.startsWith('normal rides of the day in its'));
        const bands = [1, 2, 5, 10, 20, 50];
        const band = (km: number) => bands.filter((b) => km >= b).length;
        const normal = (await db.knex('rides').where({ service_date: day, is_outlier: false }).select('distance_km', 'duration_min')).filter(
          (r: { distance_km: number }) => band(r.distance_km) === band(e.distance_km),
        );
        expect(Number(e.expected_from_rides)).toBe(normal.length);
        expect(e.expected_duration_min).toBeCloseTo(median(normal.map((r: { duration_min: number }) => r.duration_min)), 6);
      });
    });
  }

  it('the reader role can read the explanations through query', async () => {
    const result = await runCli(['query', `select count(*)::int as n from ride_flag_explanations where service_date = '${TLC_DAY}'`, '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)[0].n).toBeGreaterThan(0);
  });
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
