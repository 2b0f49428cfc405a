// The real thing: the first rows of TLC's yellow trip records for January 2021, cut short in the
// middle of its last line, as TLC publishes them (CSV, and gzipped).
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { load, SAMPLE_LINES, scratchDir, tableCounts, TLC_SAMPLE } from './fixtures.js';

const DATA_ROWS = SAMPLE_LINES.length - 1; // the header aside; the last line has no line break
const LAST_LINE = SAMPLE_LINES.length;

describe.each(databaseTargets)('the TLC yellow sample on $name', (target) => {
  const t = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  it('loads with every row accounted for, the cut last line rejected with its reason', async () => {
    const result = await load(t.db, TLC_SAMPLE);
    const a = result.account;
    expect(result).toMatchObject({ format: 'tlc-yellow', container: 'csv', detected: true, ignoredColumns: [] });
    expect(DATA_ROWS).toBe(22_793);
    expect(a.rowsRead).toBe(DATA_ROWS);
    expect(a.rowsRead).toBe(a.rowsLoaded + a.rowsAlreadyPresent + a.rowsRejected);
    expect(a).toMatchObject({ rowsLoaded: 22_792, rowsAlreadyPresent: 0, rowsRejected: 1, rejectsByReason: { truncated_line: 1 } });
    expect(a.firstRejects[0]).toMatchObject({ lineNumber: LAST_LINE, reasonCode: 'truncated_line', raw: '1,2021-0' });
    expect(a.firstRejects[0].reason).toMatch(/file ends in the middle of this row: it has 2 of 18 fields/);

    // what the database says agrees with the account
    expect(await tableCounts(t.db)).toEqual({ rides: 22_792, loads: 1, rejects: 1 });
    const loadRow = await t.db.knex('loads').where({ id: a.loadId }).first();
    expect(loadRow).toMatchObject({
      file_name: 'yellow_tripdata_2021-01_head.csv',
      format: 'tlc-yellow',
      container: 'csv',
      source_time_zone: 'America/New_York',
      rejects_by_reason: { truncated_line: 1 },
    });
    expect(Number(loadRow.rows_read)).toBe(DATA_ROWS);
    expect(Number(loadRow.rows_loaded)).toBe(22_792);
    const reject = await t.db.knex('ride_rejects').first();
    expect(reject).toMatchObject({ reason_code: 'truncated_line', raw: '1,2021-0' });
    expect(Number(reject.line_number)).toBe(LAST_LINE);
    const byDay = await t.db.knex('rides')
      .select(t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`))
      .count<{ day: string; count: string | number }[]>('* as count')
      .groupBy('service_date')
      .orderBy('service_date');
    expect(byDay.map((r) => ({ day: r.day, rides: Number(r.count) }))).toEqual(a.serviceDays);
  });

  it('keeps the trip as published: New York times, miles as km, zones and fares', async () => {
    // line 2: 1,2021-01-01 00:30:10,2021-01-01 00:36:12,1,2.10,1,N,142,43,2,8,3,0.5,0,0,0.3,11.8,2.5
    const ride = await t.db.knex('rides')
      .select('*', t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`), t.db.knex.raw(`to_char(pickup_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as pickup_utc`))
      .where('ride_id', 'like', 'tlc-y-20210101T003010-%')
      .first();
    expect(ride).toMatchObject({
      taxi_id: null,
      pickup_utc: '2021-01-01 05:30:10',
      day: '2021-01-01',
      trip_distance_mi: 2.1,
      vendor_id: 1,
      passenger_count: 1,
      ratecode_id: 1,
      store_and_fwd_flag: 'N',
      pickup_zone_id: 142,
      dropoff_zone_id: 43,
      payment_type: 2,
      fare_amount: 8,
      extra: 3,
      mta_tax: 0.5,
      tip_amount: 0,
      improvement_surcharge: 0.3,
      total_amount: 11.8,
      congestion_surcharge: 2.5,
      airport_fee: null,
      source: 'tlc-yellow',
      is_outlier: null,
    });
    expect(ride.distance_km).toBeCloseTo(2.1 * 1.609344, 12);
    expect(ride.duration_min).toBeCloseTo(6 + 2 / 60, 9);
    expect(ride.ride_id).toMatch(/^tlc-y-20210101T003010-[0-9a-f]{16}$/);
  });

  it('adds nothing when the same file is loaded again, as CSV or gzipped', async () => {
    const again = await load(t.db, TLC_SAMPLE);
    expect(again.account).toMatchObject({ rowsRead: DATA_ROWS, rowsLoaded: 0, rowsAlreadyPresent: 22_792, rowsRejected: 1, serviceDays: [] });
    const gz = await load(t.db, scratch.file('yellow_tripdata_2021-01_head.csv.gz', gzipSync(readFileSync(TLC_SAMPLE))));
    expect(gz.container).toBe('csv.gz');
    expect(gz.account).toMatchObject({ rowsRead: DATA_ROWS, rowsLoaded: 0, rowsAlreadyPresent: 22_792, rowsRejected: 1 });
    expect(await tableCounts(t.db)).toEqual({ rides: 22_792, loads: 3, rejects: 3 });
  });

  it('a dry run counts what it would load and writes nothing', async () => {
    // the sample with its last line whole and 100 trips moved a day later: 100 new rides
    const lines = SAMPLE_LINES.slice(0, 201);
    const shifted = lines.map((line, i) => (i > 100 ? line.replaceAll('2021-01-01 ', '2021-01-08 ') : line));
    const file = scratch.file('shifted.csv', `${shifted.join('\n')}\n`);
    const before = await tableCounts(t.db);
    const dry = await load(t.db, file, { dryRun: true });
    expect(dry.account).toMatchObject({ dryRun: true, loadId: null, rowsRead: 200, rowsLoaded: 100, rowsAlreadyPresent: 100, rowsRejected: 0 });
    expect(await tableCounts(t.db)).toEqual(before);
    const real = await load(t.db, file);
    expect(real.account).toMatchObject({ dryRun: false, rowsLoaded: 100, rowsAlreadyPresent: 100 });
  });

  it('warns when TLC rides go into service days of another zone than New York, and only then', async () => {
    const utc = await load(t.db, TLC_SAMPLE, { dryRun: true, serviceTimeZone: 'UTC' });
    expect(utc.warnings).toHaveLength(1);
    expect(utc.warnings[0]).toMatch(/TLC times are America\/New_York local time, but this database's service days are in UTC.*ridescan time-zone America\/New_York/);
    const newYork = await load(t.db, TLC_SAMPLE, { dryRun: true });
    expect(newYork.warnings).toEqual([]);
  });
});
