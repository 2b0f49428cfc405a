// The parse worker's byte path (byteRecords.ts, tlcLines.ts, ids as bytes) against the string
// path as the oracle, in process: the same file must give byte for byte the same COPY rows (ids
// included), the same service days, id hashes and id range, and the same rejects (line numbers,
// reason codes, reasons, raw text). The files are generated TLC CSVs full of hostile lines, read
// in pieces of several sizes so that lines (and a quoted field's line break) are cut between reads.
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { inspectRideFile } from '../../../src/application/ingest/inspectFile.js';
import { rideBatches } from '../../../src/application/ingest/rideBatches.js';
import { TlcLineDecoder } from '../../../src/application/ingest/tlcLines.js';
import { TLC_ID_BYTES } from '../../../src/application/ingest/tlcRideId.js';
import { ZoneClock } from '../../../src/application/ingest/zoneClock.js';
import type { RideReject } from '../../../src/application/ingest/types.js';
import { RideRows, type IdBytes } from '../../../src/storage/rideRows.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';
import { SAMPLE_TEXT, scratchDir, TLC_SAMPLE } from './fixtures.js';

const YELLOW_HEADER =
  'VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,' +
  'PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,' +
  'total_amount,congestion_surcharge';

// Column indexes of the yellow header above.
const [VENDOR, PICKUP, DROPOFF, PASSENGERS, DISTANCE, RATECODE, FLAG, PU, DO, PAYMENT, FARE, , , TIP, , , TOTAL] = Array.from({ length: 18 }, (_, i) => i);

/** Values the string path decodes in some other way than the plain forms, or rejects. */
const ODD_NUMBERS = [
  '', '-0', '-2.5', '.5', '5.', '-.5', '0.1234567890123456789', '123456789012345', '1234567890123456', '9'.repeat(30),
  '1e5', '1E-3', '+5', '--5', '5-', '1.2.3', ' 5', '5 ', '0x1A', 'Infinity', 'NaN', '-', '.', '1,5', '١٢', 'é', '00012.50',
  '99999999', '-99999999', '1.7976931348623157e308',
];
const ODD_WHOLES = ['', '1.0', '1.5', '40000', '-32768', '32767', '32768', '-0', '2e1', 'x', '07'];
const ODD_TIMES = [
  '', '2021-02-30 10:00:00', '2021-01-01 24:00:00', '2021-01-01 10:60:00', '2021-01-01T10:00:00', '2021-01-01 10:00:00.5',
  '2021-01-01 10:00:00Z', '2021-01-01 10:00:00-05:00', '1899-12-31 23:59:59', '2100-01-01 00:00:00', '2021-1-01 10:00:00',
  'abc', '2021-11-07 01:30:00', '2021-11-07 01:10:00', '2021-03-14 02:30:00', '2020-02-29 12:00:00', '2021-01-01 10:00',
  '2021/01/01 10:00:00', '2021-01-01x10:00:00',
];
const ODD_FLAGS = ['', 'Y', 'N', 'y', 'YN', '"Y"', ' N'];

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A TLC yellow CSV: plain rides, and about one line in `oddEvery` bent in one of many ways. */
function hostileCsv(rows: number, seed: number, oddEvery: number): Buffer {
  const random = new SeededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[random.int(xs.length)];
  const parts: (string | Buffer)[] = [`\ufeff${YELLOW_HEADER}\n`];
  const start = Date.UTC(2021, 10, 6, 20);
  for (let i = 0; i < rows; i++) {
    const pickup = start + Math.floor((i / rows) * 36 * 3600_000) + random.int(600) * 1000;
    const miles = Math.max(0, Math.exp(random.normal(0.6, 0.8)));
    const fare = 2.5 + Math.round(miles * 5) / 2;
    const v = [
      String(1 + random.int(2)), stamp(pickup), stamp(pickup + Math.round(miles * 300) * 1000), String(random.int(5)),
      miles.toFixed(random.int(4)), '1', 'N', String(1 + random.int(265)), String(1 + random.int(265)), String(1 + random.int(4)),
      String(fare), '0.5', '0.5', (fare * 0.2).toFixed(2), '0', '0.3', (fare + 4.3).toFixed(2), '2.5',
    ];
    let end = '\n';
    if (random.int(oddEvery) === 0) {
      switch (random.int(14)) {
        case 0: v[pick([DISTANCE, FARE, TIP, TOTAL])] = pick(ODD_NUMBERS); break;
        case 1: v[pick([VENDOR, PASSENGERS, RATECODE, PU, DO, PAYMENT])] = pick(ODD_WHOLES); break;
        case 2: v[pick([PICKUP, DROPOFF])] = pick(ODD_TIMES); break;
        case 3: v[FLAG] = pick(ODD_FLAGS); break;
        case 4: v[pick([FARE, PU, PICKUP])] = `"${v[FARE]}"`; break; // a quoted value, valid or not
        case 5: v[FLAG] = `"N\n${v[FLAG]}"`; break; // a quoted line break
        case 6: end = '\r\n'; break;
        case 7: end = pick(['\n\n', '\n\r\n', '\n \n']); break; // blank lines, and one of a space
        case 8: v.splice(random.int(18), 1); break; // a field too few
        case 9: v.push(pick(['', '7', 'é'])); break; // one too many
        case 10: v[pick([PASSENGERS, RATECODE, FLAG, PAYMENT, FARE, TIP, TOTAL])] = ''; break;
        case 11: v[DISTANCE] = ''; break; // a value a ride must have
        case 12: v[TIP] = `${v[TIP]}\r`; break; // a stray carriage return inside the line
        default: {
          // bytes that are not UTF-8 (past the head, which must be UTF-8 to be a CSV file at all), or a character that is, in a value
          const line = Buffer.from(`${v.join(',')}\n`, 'utf8');
          const at = line.indexOf(44) + 1;
          const odd = i > rows / 2 && random.int(2) === 0 ? [0xff, 0xc3] : [0xc3, 0xa9];
          parts.push(Buffer.concat([line.subarray(0, at), Buffer.from(odd), line.subarray(at)]));
          continue;
        }
      }
    }
    parts.push(`${v.join(',')}${end}`);
  }
  parts.push(pick(['1,2021-11-08 00:00:00,2021-11-08 00:10:00,1,1', `1,2021-11-08 00:00:00,2021-11-08 00:10:00,1,1.5,1,N,1,2,1,5,0.5,0.5,0,0,0.3,7.3,2.5\r`]));
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

interface Read {
  copy: Buffer;
  serviceDays: number[];
  idHashes: number[];
  idHashes2: number[];
  ranges: string[];
  rejects: RideReject[];
}

/** Every ride of the file encoded as the worker does, the string path's way or the byte path's. */
async function read(path: string, way: 'text' | 'bytes', readBytes: number): Promise<Read> {
  const file = await inspectRideFile(path, 'auto');
  const clocks = { source: new ZoneClock('America/New_York'), service: new ZoneClock('America/New_York') };
  const ids: IdBytes = { bytes: new Uint8Array(TLC_ID_BYTES), length: 0 };
  // as the worker: ids as bytes for TLC only (a company file's ids are its own text)
  const byteIds = way === 'bytes' && file.layout.format !== 'rides-csv';
  const options = way === 'bytes' ? { readBytes, ids: byteIds ? ids : undefined, byteLines: true } : { readBytes };
  const out: Read = { copy: Buffer.alloc(0), serviceDays: [], idHashes: [], idHashes2: [], ranges: [], rejects: [] };
  const copies: Buffer[] = [];
  let rows = new RideRows('tlc-yellow', 1);
  const flush = () => {
    const { parts } = rows.parts();
    copies.push(Buffer.from(parts.copy.bytes.subarray(19, parts.copy.length)));
    out.serviceDays.push(...parts.serviceDays);
    out.idHashes.push(...parts.idHashes);
    out.idHashes2.push(...parts.idHashes2);
    out.ranges.push(`${parts.minId}..${parts.maxId} ${parts.asciiIds}`);
    rows = new RideRows('tlc-yellow', 1);
  };
  for await (const batch of rideBatches(file, clocks, () => {}, options)) {
    batch.each(
      (ride) => (byteIds ? rows.add(ride, ids) : rows.add(ride)),
      (reject) => out.rejects.push({ ...reject }),
    );
    if (rows.count >= 500) flush();
  }
  flush();
  out.copy = Buffer.concat(copies);
  return out;
}

/**
 * The file read the string path's way, then the byte path's (afterText runs between): the same
 * COPY rows, service days, id hashes, id ranges and rejects. Returns the string path's read.
 */
async function readBothWays(path: string, readBytes: number, afterText?: () => void): Promise<Read> {
  const expected = await read(path, 'text', readBytes);
  afterText?.();
  const got = await read(path, 'bytes', readBytes);
  expect(got.rejects).toEqual(expected.rejects);
  expect(got.serviceDays).toEqual(expected.serviceDays);
  expect(got.idHashes).toEqual(expected.idHashes);
  expect(got.idHashes2).toEqual(expected.idHashes2);
  expect(got.ranges).toEqual(expected.ranges);
  expect(got.copy.equals(expected.copy)).toBe(true);
  return expected;
}

describe('the byte path of the parse worker', () => {
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it.each([
    { seed: 1, rows: 3000, readBytes: 1 << 16 },
    { seed: 2, rows: 3000, readBytes: 97 },
    { seed: 3, rows: 1200, readBytes: 7 },
  ])('encodes the same rows and rejects as the string path, hostile lines and all (seed $seed, reads of $readBytes bytes)', async ({ seed, rows: count, readBytes }) => {
    const path = scratch.file(`hostile_${seed}.csv`, hostileCsv(count, seed, 4));
    const taken = vi.spyOn(TlcLineDecoder.prototype, 'decode');
    const expected = await readBothWays(path, readBytes, () => expect(taken).not.toHaveBeenCalled());

    // and the file was what it claims: most lines on the byte path, many of every other kind
    const byBytes = taken.mock.results.filter((r) => r.value !== null).length;
    const rides = expected.serviceDays.length;
    expect(byBytes).toBeGreaterThan(count * 0.7);
    expect(rides - byBytes).toBeGreaterThan(count / 75); // rides the string path read (quoted, odd forms)
    expect(expected.rejects.length).toBeGreaterThan(count / 30);
    const codes = new Set(expected.rejects.map((r) => r.reasonCode));
    for (const code of ['bad_number', 'bad_whole_number', 'bad_timestamp', 'bad_flag', 'field_count', 'missing_value', 'date_out_of_range', 'absurd_distance']) {
      expect(codes, code).toContain(code);
    }
  });

  it('reads the TLC fixture to the same rows and rejects, its last line cut short', async () => {
    const expected = await readBothWays(TLC_SAMPLE, 1 << 16);
    expect(expected.serviceDays.length).toBe(SAMPLE_TEXT.trimEnd().split('\n').length - 1 - expected.rejects.length);
    expect(expected.rejects.at(-1)).toMatchObject({ reasonCode: 'truncated_line' });
  });

  it('reads a gzip file the same way', async () => {
    const path = scratch.file('hostile.csv.gz', gzipSync(hostileCsv(2000, 4, 4)));
    const taken = vi.spyOn(TlcLineDecoder.prototype, 'decode');
    const expected = await readBothWays(path, 1000);
    expect(taken.mock.results.filter((r) => r.value !== null).length).toBeGreaterThan(1300);
  });

  it('reads a TLC green file (ehail_fee, trip_type) the same way', async () => {
    const rows = SAMPLE_TEXT.split('\n').slice(1, 1501).filter((line) => line.split(',').length === 18);
    const extra = ['', '1', '2', '1.5', '"1"', '0.00', '-3'];
    const text = [
      `${YELLOW_HEADER.replaceAll('tpep_', 'lpep_')},ehail_fee,trip_type`,
      ...rows.map((line, k) => `${line},${extra[k % extra.length]},${extra[(k * 3) % extra.length]}`),
    ].join('\n');
    const path = scratch.file('green.csv', `${text}\n`);
    expect((await inspectRideFile(path, 'auto')).layout.format).toBe('tlc-green');
    const taken = vi.spyOn(TlcLineDecoder.prototype, 'decode');
    const expected = await readBothWays(path, 1000);
    expect(expected.rejects.map((r) => r.reasonCode)).toContain('bad_whole_number'); // trip_type 1.5, -3 is fine
    expect(taken.mock.results.filter((r) => r.value !== null).length).toBeGreaterThan(rows.length / 2);
  });

  it('leaves a company file to the string path', async () => {
    const rows = SAMPLE_TEXT.split('\n').slice(1, 1001).filter((line) => line.split(',').length === 18);
    const text = [
      'ride_id,taxi_id,pickup_at,dropoff_at,distance_km',
      ...rows.map((line, k) => {
        const v = line.split(',');
        return `r-${k},${k % 5 === 0 ? '' : `T${k % 7}`},${v[1]},${v[2]},${v[4]}`;
      }),
    ].join('\n');
    const path = scratch.file('company.csv', `${text}\n`);
    const decoders = vi.spyOn(TlcLineDecoder, 'for');
    const expected = await readBothWays(path, 1000);
    expect(decoders).toHaveReturnedWith(null);
    expect(expected.serviceDays.length).toBeGreaterThan(100);
  });

  it('reads a file whose columns are in another order, with a column it ignores holding anything', async () => {
    const names = YELLOW_HEADER.split(',');
    const order = names.map((_, i) => i).reverse();
    const rows = SAMPLE_TEXT.split('\n').slice(1, 2001).filter((line) => line.split(',').length === 18);
    const junk = ['', 'x', 'é', '"q"', '1e5'];
    const text = [
      `${order.map((i) => names[i]).join(',')},cbd_congestion_fee`,
      ...rows.map((line, k) => {
        const v = line.split(',');
        return `${order.map((i) => v[i]).join(',')},${junk[k % junk.length]}`;
      }),
    ].join('\n');
    const path = scratch.file('reordered.csv', `${text}\n`);
    const taken = vi.spyOn(TlcLineDecoder.prototype, 'decode');
    const expected = await readBothWays(path, 1000);
    expect(expected.serviceDays.length).toBe(rows.length);
    // a quote even in the ignored column sends the line to the string path
    expect(taken.mock.results.filter((r) => r.value !== null).length).toBe(rows.length - Math.ceil((rows.length - 3) / junk.length));
  });
});
