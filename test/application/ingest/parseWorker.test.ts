// The file reader on a worker thread (parseWorker.ts, encodedBatches.ts) against the same reader
// on the loading thread, as an oracle: the same file must give the same rides (every column, ids
// included), the same rejects (line numbers, reasons, raw text) and the same account. The file is
// read in small pieces, so that records, and a quoted field with a line break, are cut between
// reads, and in small batches, so that many cross from the worker under its flow control.
// The worker runs the compiled script (dist/): a worker thread cannot load TypeScript.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/storage/database.js';
import { RIDE_COLUMNS, RideRows, setLoadId } from '../../../src/storage/rideRows.js';
import type { RideRow } from '../../../src/storage/rideLoads.js';
import { spareParseWorker, WORKER_MIN_BYTES, workerBatches, workerScriptFor, type ReaderChoice } from '../../../src/application/ingest/encodedBatches.js';
import { inspectRideFile } from '../../../src/application/ingest/inspectFile.js';
import type { RideFile } from '../../../src/application/ingest/inspectFile.js';
import { UnreadableFileError } from '../../../src/application/ingest/unreadableFileError.js';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { load, SAMPLE_HEADER, SAMPLE_LINES, scratchDir, TLC_SAMPLE } from './fixtures.js';

const WORKER_SCRIPT = new URL('../../../dist/src/application/ingest/parseWorker.js', import.meta.url);
const onWorker: ReaderChoice = { thread: 'worker', workerScript: WORKER_SCRIPT, readBytes: 97 };
const onMain: ReaderChoice = { thread: 'main' };

// The sample's rides (2 days), with a line that is a quoted field holding a line break, a valid
// line with quoted fields, rejects of several kinds, blank lines and repeats of earlier rides.
const rides = SAMPLE_LINES.slice(1, 3001).filter((line) => line.split(',').length === 18);
const good = rides[0];
const withFlag = (flag: string) => good.split(',').map((v, i) => (i === 6 ? flag : i === 2 ? '2021-01-01 00:36:13' : v)).join(',');
const QUOTED_BREAK = withFlag(`"N\n${'9'.repeat(150)}"`); // longer than a read (97 bytes): cut inside
const QUOTED_OK = withFlag('"Y"');
const lines = [
  SAMPLE_HEADER,
  ...rides.slice(0, 1000),
  QUOTED_BREAK,
  '',
  QUOTED_OK,
  `${good},7`,
  good.replace('2.10', 'abc'),
  ...rides.slice(1000, 2000),
  ...rides.slice(0, 50), // already present, from earlier batches
  '"unclosed,1,2',
  ...rides.slice(2000),
  '1,2021-01-02 11:00:00,2021-01-0', // cut short
];
const TEXT = lines.join('\n');

interface Loaded {
  account: unknown;
  rides: unknown[];
  rejects: unknown[];
}

async function loadAndRead(db: Database, path: string, reader: ReaderChoice): Promise<Loaded> {
  const { account } = await load(db, path, { reader, batchRides: 300 });
  const { loadId, ...rest } = account;
  const rows = await db.knex.raw(`select ${RIDE_COLUMNS}, load_id = ? as this_load from rides order by ride_id`, [loadId]);
  const rejects = await db.knex('ride_rejects').where({ load_id: loadId }).orderBy('line_number').select('line_number', 'reason_code', 'reason', 'raw');
  return { account: rest, rides: rows.rows.map(({ load_id, ...r }: { load_id: unknown }) => r), rejects };
}

describe('the reader thread chosen for a file', () => {
  const csv = (bytes: number): RideFile => ({ path: TLC_SAMPLE, name: 'f.csv', bytes, container: 'csv', layout: { format: 'tlc-yellow', columns: [], positions: [], width: 18 }, detected: true, ignoredColumns: [] });
  it('is the worker for a large CSV file when its compiled script is there, else this thread', () => {
    expect(workerScriptFor(csv(WORKER_MIN_BYTES), { thread: 'auto', workerScript: WORKER_SCRIPT })).toEqual(WORKER_SCRIPT);
    expect(workerScriptFor(csv(WORKER_MIN_BYTES - 1), { thread: 'auto', workerScript: WORKER_SCRIPT })).toBeNull();
    expect(workerScriptFor(csv(WORKER_MIN_BYTES), { thread: 'auto', workerScript: new URL('./no-such-worker.js', import.meta.url) })).toBeNull();
    expect(workerScriptFor({ ...csv(WORKER_MIN_BYTES), container: 'parquet' }, { thread: 'worker', workerScript: WORKER_SCRIPT })).toBeNull();
    expect(workerScriptFor(csv(WORKER_MIN_BYTES), { thread: 'main' })).toBeNull();
  });
});

describe('a batch encoded before the load had its id', () => {
  it('has, once given the id, the bytes of the rows encoded with it (NULLs, long ids and large ids included)', () => {
    const rides: RideRow[] = Array.from({ length: 200 }, (_, i) => ({
      rideId: `${'r'.repeat(i % 90)}${i}`,
      taxiId: i % 3 === 0 ? null : `taxi-${i}-ü`,
      pickupAtMs: Date.UTC(2021, 2, 1) + i * 60_000,
      dropoffAtMs: Date.UTC(2021, 2, 1) + i * 90_000,
      serviceDay: 18_687 + (i % 2),
      distanceKm: i / 7,
      vendorId: i % 5 === 0 ? null : 2,
      fareAmount: i * 1.5,
    }));
    for (const loadId of [1, 42, 2 ** 31 + 5, 2 ** 40 + 3]) {
      const later = new RideRows('tlc-yellow', 0);
      const direct = new RideRows('tlc-yellow', loadId);
      for (const ride of rides) {
        later.add(ride);
        direct.add(ride);
      }
      const { parts } = later.parts();
      setLoadId(parts, loadId);
      const patched = Buffer.from(parts.copy.bytes.buffer, parts.copy.bytes.byteOffset, parts.copy.length);
      const expected = direct.copyInput() as Buffer;
      expect(Buffer.compare(patched, expected.subarray(0, parts.copy.length))).toBe(0);
    }
  });
});

describe('the spare worker started before the file is inspected', () => {
  it('is started for a CSV file read on a worker, not for a small one on auto, nor for Parquet', async () => {
    const scratch = scratchDir();
    try {
      expect(spareParseWorker(TLC_SAMPLE, { thread: 'auto', workerScript: WORKER_SCRIPT })).toBeNull(); // 2 MB
      expect(spareParseWorker(TLC_SAMPLE, { thread: 'main' })).toBeNull();
      expect(spareParseWorker(scratch.file('p.parquet', Buffer.from('PAR1 and so on')), { thread: 'worker', workerScript: WORKER_SCRIPT })).toBeNull();
      expect(spareParseWorker(join(scratch.dir, 'missing.csv'), { thread: 'worker', workerScript: WORKER_SCRIPT })).toBeNull();
      const spare = spareParseWorker(TLC_SAMPLE, { thread: 'worker', workerScript: WORKER_SCRIPT });
      expect(spare).not.toBeNull();
      expect(spare!.take(new URL('./other.js', import.meta.url))).toBeNull();
      await spare!.close();
      expect(spare!.take(WORKER_SCRIPT)).toBeNull(); // ended
    } finally {
      scratch.cleanup();
    }
  });
});

describe('the batches of the worker', () => {
  it('come small first, so that the database starts early, then at the size asked for', async () => {
    const file = await inspectRideFile(TLC_SAMPLE, 'auto');
    const zones = { source: 'America/New_York', service: 'America/New_York' };
    const sizes: number[] = [];
    for await (const batch of workerBatches(WORKER_SCRIPT, file, zones, () => {}, { readBytes: 4096, batchRides: 10_000 }).batches({ loadId: 1, source: 'tlc-yellow', batchRides: 10_000 })) {
      sizes.push(batch.rides?.copy.rows ?? 0);
      batch.release?.();
    }
    expect(sizes[0]).toBeGreaterThanOrEqual(2_500);
    expect(sizes[0]).toBeLessThan(2_600); // a read of 4 KiB holds ~45 rows
    expect(sizes[1]).toBeGreaterThanOrEqual(10_000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(SAMPLE_LINES.filter((l) => l !== '').length - 2); // the header and the cut last line
  });
});

describe.each(databaseTargets)('the reader on a worker thread on $name', (target) => {
  const main = useTestDatabase(target);
  const worker = useTestDatabase(target);
  // fresh ones for the spare's load: the rides above are in main and worker by then
  const mainFresh = useTestDatabase(target);
  const spareFresh = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  it('loads the same rides, ids and rejects as the loading thread, records cut between reads', async () => {
    expect(existsSync(fileURLToPath(WORKER_SCRIPT)), 'the worker runs the built script: npx tsc -p . first').toBe(true);
    const file = scratch.file('yellow_oracle.csv', TEXT);
    const expected = await loadAndRead(main.db, file, onMain);
    const got = await loadAndRead(worker.db, file, onWorker);
    expect(got.account).toEqual(expected.account);
    expect(got.rejects).toEqual(expected.rejects);
    expect(got.rides).toEqual(expected.rides);

    // and what both loaded is what the file holds
    expect(expected.account).toMatchObject({ rowsRead: lines.length - 2, rowsAlreadyPresent: 50, rowsRejected: 5 });
    const breakLine = lines.indexOf(QUOTED_BREAK) + 1;
    expect(expected.rejects[0]).toMatchObject({ line_number: breakLine, reason_code: 'bad_flag', raw: QUOTED_BREAK });
    // the line after the quoted field's two lines, then the blank one
    expect(expected.rejects[1]).toMatchObject({ line_number: breakLine + 4, reason_code: 'field_count' });
    expect(expected.rides.length).toBe(rides.length + 1);
    const flaggedY = rides.filter((line) => line.split(',')[6] === 'Y').length;
    expect(expected.rides.filter((r) => (r as { store_and_fwd_flag: string }).store_and_fwd_flag === 'Y')).toHaveLength(flaggedY + 1);
  });

  it('loads the same from a spare worker started before the file was inspected, which the load takes', async () => {
    const file = scratch.file('yellow_spare.csv', TEXT);
    const expected = await loadAndRead(mainFresh.db, file, onMain);
    expect(expected.rides.length).toBe(rides.length + 1);
    const spare = spareParseWorker(file, onWorker)!;
    expect(spare).not.toBeNull();
    const { account } = await load(spareFresh.db, file, { reader: onWorker, batchRides: 300, spare });
    const { loadId, ...rest } = account;
    expect(rest).toEqual(expected.account);
    expect(loadId).toBeGreaterThan(0);
    const rows = await spareFresh.db.knex.raw(`select ${RIDE_COLUMNS} from rides where load_id = ? order by ride_id`, [loadId]);
    expect(rows.rows.map(({ load_id, ...r }: { load_id: unknown }) => ({ ...r, this_load: true }))).toEqual(expected.rides);
    expect(spare.take(WORKER_SCRIPT)).toBeNull(); // the load took it
    await spare.close();
  });

  it('fails a gzip file cut short with the same error, and writes none of it', async () => {
    const gz = gzipSync(readFileSync(TLC_SAMPLE));
    const file = scratch.file('cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const error = async (reader: ReaderChoice) => (await load(main.db, file, { reader }).then(() => null, (e: Error) => e))!;
    // read in the same pieces, so that both stop after the same rows
    const [onThisThread, onTheWorker] = [await error(onMain), await error({ thread: 'worker', workerScript: WORKER_SCRIPT })];
    expect(onThisThread.message).toMatch(/reading stopped after [\d,]+ rows: unexpected end of file/);
    expect(onTheWorker).toBeInstanceOf(UnreadableFileError);
    expect(onThisThread).toBeInstanceOf(UnreadableFileError);
    expect(onTheWorker.message).toBe(onThisThread.message);
    expect(Number((await main.db.knex('loads').where({ file_name: 'cut.csv.gz' }).count<{ n: string }[]>('* as n'))[0].n)).toBe(0);
  });
});
