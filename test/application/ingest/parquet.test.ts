// Parquet, as TLC publishes its trip records today: a file written by hyparquet-writer with TLC's
// schema (int64 ids, doubles, timestamps in microseconds not adjusted to UTC, snappy), from the
// CSV sample's rows. It must load to the same rides, with the same ids, as the CSV edition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetWriteFile } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { load, SAMPLE_LINES, scratchDir, tableCounts, TLC_SAMPLE } from './fixtures.js';

const ROWS = 3000;
const header = SAMPLE_LINES[0].split(',');
const rows = SAMPLE_LINES.slice(1, ROWS + 1).map((line) => line.split(','));
const col = (name: string) => header.indexOf(name);

const INT64 = ['VendorID', 'PULocationID', 'DOLocationID', 'payment_type'];
const TIMES = ['tpep_pickup_datetime', 'tpep_dropoff_datetime'];
const DOUBLES = header.filter((h) => !INT64.includes(h) && !TIMES.includes(h) && h !== 'store_and_fwd_flag');

/** A TLC yellow Parquet file of the sample's first rows; row `nullDistanceAt` has no trip_distance. */
function writeTlcParquet(filename: string, nullDistanceAt: number): void {
  const micros = (text: string) => BigInt(Date.parse(`${text.replace(' ', 'T')}Z`)) * 1000n;
  const schema: SchemaElement[] = [
    { name: 'schema', num_children: header.length + 1 },
    ...header.map((name): SchemaElement => {
      if (INT64.includes(name)) return { name, type: 'INT64', repetition_type: 'OPTIONAL' };
      if (TIMES.includes(name)) {
        return { name, type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } };
      }
      if (name === 'store_and_fwd_flag') return { name, type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
      return { name, type: 'DOUBLE', repetition_type: 'OPTIONAL' };
    }),
    { name: 'airport_fee', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  ];
  const columnData = [
    ...header.map((name) => {
      const i = col(name);
      const values = rows.map((r, k) => {
        const v = r[i];
        if (v === '' || (name === 'trip_distance' && k === nullDistanceAt)) return null;
        if (INT64.includes(name)) return BigInt(v);
        if (TIMES.includes(name)) return micros(v);
        if (name === 'store_and_fwd_flag') return v;
        return Number(v);
      });
      return { name, data: values };
    }),
    { name: 'airport_fee', data: rows.map(() => null) },
  ];
  parquetWriteFile({ filename, schema, columnData, rowGroupSize: 1000 });
}

describe.each(databaseTargets)('TLC Parquet on $name', (target) => {
  const t = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  it('round-trips: every value as written, the same ids as the CSV edition', async () => {
    const file = `${scratch.dir}/yellow_tripdata_2021-01.parquet`;
    const nullDistanceAt = 1500;
    writeTlcParquet(file, nullDistanceAt);

    const parquet = await load(t.db, file);
    expect(parquet).toMatchObject({ format: 'tlc-yellow', container: 'parquet', detected: true });
    expect(parquet.account).toMatchObject({ rowsRead: ROWS, rowsLoaded: ROWS - 1, rowsAlreadyPresent: 0, rowsRejected: 1, rejectsByReason: { missing_value: 1 } });
    const reject = parquet.account.firstRejects[0];
    expect(reject).toMatchObject({ lineNumber: nullDistanceAt + 1, reason: 'trip_distance is empty' });
    expect(JSON.parse(reject.raw)).toMatchObject({ trip_distance: null, PULocationID: rows[nullDistanceAt][col('PULocationID')] });

    // every stored value is the one in the CSV the Parquet file was written from
    const stored = await t.db.knex('rides')
      .select(
        't.*',
        t.db.knex.raw(`to_char(pickup_at at time zone 'America/New_York', 'YYYY-MM-DD HH24:MI:SS') as pickup_local`),
        t.db.knex.raw(`to_char(dropoff_at at time zone 'America/New_York', 'YYYY-MM-DD HH24:MI:SS') as dropoff_local`),
      )
      .from('rides as t')
      .orderBy('load_id');
    const byKey = new Map(stored.map((r: Record<string, unknown>) => [`${r.pickup_local}|${r.dropoff_local}|${r.pickup_zone_id}|${r.dropoff_zone_id}|${r.total_amount}`, r]));
    const differences: string[] = [];
    rows.forEach((r, k) => {
      if (k === nullDistanceAt) return;
      const key = `${r[col('tpep_pickup_datetime')]}|${r[col('tpep_dropoff_datetime')]}|${Number(r[col('PULocationID')])}|${Number(r[col('DOLocationID')])}|${Number(r[col('total_amount')])}`;
      const ride = byKey.get(key) as Record<string, unknown> | undefined;
      if (!ride) return differences.push(`row ${k + 1}: not found`);
      const expected: Record<string, unknown> = {
        vendor_id: Number(r[col('VendorID')]),
        passenger_count: Number(r[col('passenger_count')]),
        trip_distance_mi: Number(r[col('trip_distance')]),
        ratecode_id: Number(r[col('RatecodeID')]),
        store_and_fwd_flag: r[col('store_and_fwd_flag')],
        payment_type: Number(r[col('payment_type')]),
        fare_amount: Number(r[col('fare_amount')]),
        tip_amount: Number(r[col('tip_amount')]),
        tolls_amount: Number(r[col('tolls_amount')]),
        congestion_surcharge: Number(r[col('congestion_surcharge')]),
        airport_fee: null,
        source: 'tlc-yellow',
      };
      for (const [name, value] of Object.entries(expected)) if (ride[name] !== value) differences.push(`row ${k + 1} ${name}: ${ride[name]} ≠ ${value}`);
      if (Math.abs((ride.distance_km as number) - (expected.trip_distance_mi as number) * 1.609344) > 1e-9) differences.push(`row ${k + 1} distance_km`);
    });
    expect(differences.slice(0, 10)).toEqual([]);

    // the CSV edition of the same trips: those are all present already
    const csv = await load(t.db, TLC_SAMPLE);
    expect(csv.account).toMatchObject({ rowsRead: SAMPLE_LINES.length - 1, rowsAlreadyPresent: ROWS - 1, rowsLoaded: SAMPLE_LINES.length - 1 - 1 - (ROWS - 1) });
    expect((await tableCounts(t.db)).rides).toBe(SAMPLE_LINES.length - 2);
  });

  it('with --format given, loading Parquet again adds nothing', async () => {
    const file = `${scratch.dir}/again.parquet`;
    writeTlcParquet(file, 10);
    const again = await load(t.db, file, { format: 'tlc-yellow' });
    expect(again.detected).toBe(false);
    expect(again.account).toMatchObject({ rowsRead: ROWS, rowsLoaded: 0, rowsAlreadyPresent: ROWS - 1, rowsRejected: 1 });
  });
});
