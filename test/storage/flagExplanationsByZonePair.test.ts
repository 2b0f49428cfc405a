// ride_flag_explanations since migration 011: a flagged TLC ride is explained by its zone pair's
// trailing baseline (geometric means of zone_pair_baseline rows, both directions pooled) when the
// pair has rows, by migration 008's distance band otherwise. The TLC sample's day is loaded, and a
// copy of it a day later (the sample's own 2021-01-02 is one ride): scoring 2021-01-01 writes the
// baseline the flags of 2021-01-02 are explained by.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { scoreForTest } from '../support/scoring.js';
import { loadRideFile } from '../../src/application/ingest/loadFile.js';
import { DEFAULT_DETECTOR } from '../../src/compute/detectorParams.js';
import { chooseServiceTimeZone } from '../../src/storage/settings.js';
import { TLC_SAMPLE } from '../application/ingest/fixtures.js';
import * as m011 from '../../migrations/011_flag_explanations_by_zone_pair.js';
import { READER_ROLE } from '../../migrations/006_query_reader.js';

const TZ = 'America/New_York';
const FIRST = '2021-01-01';
const NEXT = '2021-01-02';
const BAND_FROM = /^normal rides of the day in its distance band$|^all normal rides of the day/;

/** migration 008's columns, in its order: queries written for it must keep working */
const COLUMNS_008 = [
  'service_date', 'ride_id', 'taxi_id', 'pickup_zone_id', 'pickup_at', 'outlier_reason', 'outlier_score',
  'distance_km', 'duration_min', 'speed_kmh', 'distance_band', 'expected_from', 'expected_from_rides',
  'expected_distance_km', 'expected_duration_min', 'expected_speed_kmh', 'distance_excess_km', 'duration_excess_min',
  'distance_ratio', 'duration_ratio', 'eps_from_normal',
];

/** Every timestamp of the file a day later (the ride ids, derived from the content, are new). */
function dayLater(text: string): string {
  return text.replace(/(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/g, (_m, date: string, time: string) => {
    const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return `${next} ${time}`;
  });
}

interface Explained {
  ride_id: string;
  pickup_zone_id: number | null;
  dropoff_zone_id: number | null;
  distance_km: number;
  duration_min: number;
  expected_from: string;
  expected_from_rides: string | number;
  expected_distance_km: number;
  expected_duration_min: number;
  distance_ratio: number | null;
}

interface BaselineRow {
  pickup_zone_id: number;
  dropoff_zone_id: number;
  rides: number;
  d: number;
  t: number;
}

const unordered = (p: number, q: number) => (p < q ? `${p}-${q}` : `${q}-${p}`);

describe.each(databaseTargets)('flag explanations by zone pair on $name', (target) => {
  let test: TestDatabase;
  let scratch: string;

  beforeAll(async () => {
    test = await target.create();
    scratch = mkdtempSync(join(tmpdir(), 'ridescan-explain-'));
    const later = join(scratch, 'day_later.csv');
    writeFileSync(later, dayLater(readFileSync(TLC_SAMPLE, 'utf8')));
    await chooseServiceTimeZone(test.db, TZ);
    for (const file of [TLC_SAMPLE, later]) await loadRideFile(test.db, file, { format: 'auto', dryRun: false, serviceTimeZone: TZ });
    for (const day of [FIRST, NEXT]) await scoreForTest(test.db, { serviceDate: day, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
  });
  afterAll(async () => {
    await test?.drop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const explanations = async (day: string): Promise<Explained[]> =>
    (await test.db.knex.raw(`select * from ride_flag_explanations where service_date = ? order by ride_id`, [day])).rows;

  it("keeps 008's columns in their order and appends the dropoff zone", async () => {
    const { rows } = await test.db.knex.raw(
      `select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'ride_flag_explanations' order by ordinal_position`,
    );
    expect(rows.map((r: { column_name: string }) => r.column_name)).toEqual([...COLUMNS_008, 'dropoff_zone_id']);
  });

  it("explains a flagged ride whose pair has trailing baseline rows by the pair's geometric means", async () => {
    const flagged = (await test.db.knex('rides').where({ service_date: NEXT, is_outlier: true }).select('ride_id', 'dropoff_zone_id').orderBy('ride_id')) as { ride_id: string; dropoff_zone_id: number | null }[];
    const explained = await explanations(NEXT);
    expect(explained.map((e) => e.ride_id)).toEqual(flagged.map((f) => f.ride_id));
    explained.forEach((e, i) => expect(e.dropoff_zone_id).toBe(flagged[i].dropoff_zone_id));

    // the pairs' sums over the 84 days before NEXT, directions pooled, in JS
    const baseline = (
      await test.db.knex.raw(
        `select pickup_zone_id, dropoff_zone_id, rides, sum_ln_distance as d, sum_ln_duration as t from zone_pair_baseline
         where service_date < ?::date and service_date >= ?::date - 84`,
        [NEXT, NEXT],
      )
    ).rows as BaselineRow[];
    expect(baseline.length).toBeGreaterThan(100);
    const pairs = new Map<string, { n: number; d: number; t: number }>();
    for (const row of baseline) {
      const key = unordered(row.pickup_zone_id, row.dropoff_zone_id);
      const sums = pairs.get(key) ?? { n: 0, d: 0, t: 0 };
      pairs.set(key, { n: sums.n + row.rides, d: sums.d + row.d, t: sums.t + row.t });
    }

    let byPair = 0;
    let fallback = 0;
    for (const e of explained) {
      const sums = e.pickup_zone_id !== null && e.dropoff_zone_id !== null ? pairs.get(unordered(e.pickup_zone_id, e.dropoff_zone_id)) : undefined;
      if (sums) {
        byPair++;
        expect(e.expected_from, e.ride_id).toBe(m011.ZONE_PAIR_EXPECTED_FROM);
        expect(Number(e.expected_from_rides), e.ride_id).toBe(sums.n);
        expect(e.expected_distance_km, e.ride_id).toBeCloseTo(Math.exp(sums.d / sums.n), 9);
        expect(e.expected_duration_min, e.ride_id).toBeCloseTo(Math.exp(sums.t / sums.n), 9);
        if (e.distance_ratio !== null) expect(e.distance_ratio).toBeCloseTo(e.distance_km / e.expected_distance_km, 9);
      } else {
        if (e.pickup_zone_id !== null && e.dropoff_zone_id !== null) fallback++;
        expect(e.expected_from, e.ride_id).toMatch(BAND_FROM);
      }
    }
    expect(byPair).toBeGreaterThan(100);
    // rides of pairs the first day left no normal trip for: their band explains them
    expect(fallback).toBeGreaterThan(0);
    // a pair seen in one direction only explains the other too (pooled, as the detector pools)
    const reversedOnly = explained.filter((e) => {
      if (e.pickup_zone_id === null || e.dropoff_zone_id === null || e.pickup_zone_id === e.dropoff_zone_id) return false;
      const [p, q] = [e.pickup_zone_id, e.dropoff_zone_id];
      return !baseline.some((r) => r.pickup_zone_id === p && r.dropoff_zone_id === q) && baseline.some((r) => r.pickup_zone_id === q && r.dropoff_zone_id === p);
    });
    expect(reversedOnly.length).toBeGreaterThan(0);
    for (const e of reversedOnly) expect(e.expected_from).toBe(m011.ZONE_PAIR_EXPECTED_FROM);
  });

  it('falls back to the medians of the normal rides of its distance band without rows for its pair', async () => {
    const explained = await explanations(NEXT);
    const e = explained.find((x) => x.pickup_zone_id !== null && x.dropoff_zone_id !== null && x.expected_from === 'normal rides of the day in its distance band');
    expect(e).toBeDefined();
    const rows = await test.db.knex('zone_pair_baseline')
      .where('service_date', '<', NEXT)
      .andWhere((w) => w.where({ pickup_zone_id: e!.pickup_zone_id, dropoff_zone_id: e!.dropoff_zone_id }).orWhere({ pickup_zone_id: e!.dropoff_zone_id, dropoff_zone_id: e!.pickup_zone_id }));
    expect(rows).toEqual([]);
    const bands = [1, 2, 5, 10, 20, 50];
    const band = (km: number) => bands.filter((b) => km >= b).length;
    const normal = ((await test.db.knex('rides').where({ service_date: NEXT, is_outlier: false }).select('distance_km', 'duration_min')) as { distance_km: number; duration_min: number }[]).filter(
      (r) => band(r.distance_km) === band(e!.distance_km),
    );
    expect(Number(e!.expected_from_rides)).toBe(normal.length);
    expect(e!.expected_duration_min).toBeCloseTo(median(normal.map((r) => r.duration_min)), 6);
    expect(e!.expected_distance_km).toBeCloseTo(median(normal.map((r) => r.distance_km)), 6);
  });

  it('explains the first scored day, which has no trailing rows, by band', async () => {
    const explained = await explanations(FIRST);
    expect(explained.length).toBeGreaterThan(100);
    for (const e of explained) expect(e.expected_from, e.ride_id).toMatch(BAND_FROM);
  });

  it("looks a day's pairs up by the pair index, the day's condition inside the lookup", async () => {
    const { rows } = await test.db.knex.raw(`explain select * from ride_flag_explanations where service_date = '${NEXT}'`);
    const plan = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain(m011.PAIR_INDEX);
    expect(plan).not.toMatch(/Seq Scan on zone_pair_baseline/);
  });

  it("goes down to 008's view, granted to the reader as before, and up again", async () => {
    const granted = async () =>
      (await test.db.knex.raw(`select exists (select from pg_roles where rolname = ?) as role,
        (select has_table_privilege(?, 'ride_flag_explanations', 'select') where exists (select from pg_roles where rolname = ?)) as can`, [READER_ROLE, READER_ROLE, READER_ROLE])).rows[0] as { role: boolean; can: boolean | null };
    const columns = async () =>
      (await test.db.knex.raw(`select column_name from information_schema.columns where table_schema = current_schema() and table_name = 'ride_flag_explanations' order by ordinal_position`)).rows.map(
        (r: { column_name: string }) => r.column_name,
      );
    const before = await granted();
    if (before.role) expect(before.can).toBe(true);
    await m011.down(test.db.knex);
    expect(await columns()).toEqual(COLUMNS_008);
    for (const e of await explanations(NEXT)) expect(e.expected_from).toMatch(BAND_FROM);
    const index = await test.db.knex.raw(`select count(*)::int as n from pg_indexes where schemaname = current_schema() and indexname = ?`, [m011.PAIR_INDEX]);
    expect(index.rows[0].n).toBe(0);
    expect(await granted()).toEqual(before);
    await m011.up(test.db.knex);
    expect((await columns()).length).toBe(COLUMNS_008.length + 1);
    expect((await explanations(NEXT)).some((e) => e.expected_from === m011.ZONE_PAIR_EXPECTED_FROM)).toBe(true);
    expect(await granted()).toEqual(before);
  });
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
