// A file that cannot be read at all fails with a clear error and writes nothing; a file that
// fails half way writes nothing either: each file is one transaction.
import { mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetWriteFile } from 'hyparquet-writer';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { UnreadableFileError } from '../../../src/application/ingest/unreadableFileError.js';
import { load, SAMPLE_LINES, scratchDir, tableCounts, TLC_SAMPLE, ZONE_LOOKUP } from './fixtures.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

describe.each(databaseTargets)('unreadable files on $name', (target) => {
  let t: TestDatabase;
  const scratch = scratchDir();
  beforeAll(async () => {
    t = await target.create();
    await load(t.db, scratch.file('first.csv', `${SAMPLE_LINES.slice(0, 11).join('\n')}\n`)); // something to keep intact
  });
  afterAll(async () => {
    await t?.drop();
    scratch.cleanup();
  });

  const junk = (n: number) => {
    const random = new SeededRandom(3);
    return Buffer.from(Array.from({ length: n }, () => random.int(256)));
  };

  const cases: [string, () => string, string | undefined, RegExp][] = [
    ['a missing file', () => `${scratch.dir}/nowhere.csv`, undefined, /^no such file$/],
    ['a directory', () => (mkdirSync(`${scratch.dir}/adir`, { recursive: true }), `${scratch.dir}/adir`), undefined, /not a regular file/],
    ['an empty file', () => scratch.file('empty.csv', ''), undefined, /the file is empty/],
    ['binary junk', () => scratch.file('junk.csv', junk(5000)), undefined, /binary content: not a CSV or Parquet file/],
    ['text that is not UTF-8', () => scratch.file('latin1.csv', Buffer.from('ride_id,taxi_id\nr\xe9,\xff\n', 'latin1')), undefined, /not UTF-8 text/],
    ['a CSV of something else', () => ZONE_LOOKUP, undefined, /header matches no known format .*found: LocationID,Borough,Zone,service_zone/],
    ['a header of another format', () => TLC_SAMPLE, 'tlc-green', /the header is not tlc-green's: no lpep_pickup_datetime, lpep_dropoff_datetime$/],
    ['a Parquet file in name only', () => scratch.file('fake.parquet', Buffer.concat([Buffer.from('PAR1'), junk(100), Buffer.from('PAR1')])), undefined, /not a readable Parquet file/],
    ['a gzip file that is not one', () => scratch.file('fake.csv.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), junk(100)])), undefined, /not a readable gzip file/],
  ];

  it.each(cases)('%s fails with a clear error and writes nothing', async (_, path, format, message) => {
    const before = await tableCounts(t.db);
    const error = await load(t.db, path(), { format: (format as 'tlc-green') ?? 'auto' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableFileError);
    expect((error as Error).message).toMatch(message);
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('Parquet compressed with a codec it cannot read fails before reading a row', async () => {
    const file = `${scratch.dir}/zstd.parquet`;
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'tpep_pickup_datetime', data: ['2021-01-01 00:00:00'], type: 'STRING' },
        { name: 'tpep_dropoff_datetime', data: ['2021-01-01 00:10:00'], type: 'STRING' },
        { name: 'trip_distance', data: [1.5], type: 'DOUBLE' },
        { name: 'PULocationID', data: [1], type: 'INT32' },
        { name: 'DOLocationID', data: [2], type: 'INT32' },
      ],
      codec: 'ZSTD',
      compressors: { ZSTD: (input: Uint8Array) => input },
    });
    const before = await tableCounts(t.db);
    await expect(load(t.db, file)).rejects.toThrow(/compressed with ZSTD; ridescan reads uncompressed and SNAPPY Parquet/);
    expect(await tableCounts(t.db)).toEqual(before);
  });

  it('a gzip file cut short half way writes none of its rows', async () => {
    // rows 11.. are new; the gzip stream ends after about half of them
    const gz = gzipSync(readFileSync(TLC_SAMPLE));
    const file = scratch.file('cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const before = await tableCounts(t.db);
    await expect(load(t.db, file)).rejects.toThrow(/reading stopped after [\d,]+ rows: unexpected end of file/);
    expect(await tableCounts(t.db)).toEqual(before);
  });
});
