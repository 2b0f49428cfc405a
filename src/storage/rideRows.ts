// A batch of rides encoded as binary COPY rows for the rides table, with what the loader needs to
// leave out rides already present without encoding them again: each ride's service day and two
// id hashes (for ids repeated within the batch, and for NewDays's IdHashSet), and the id range.
// Its own module, free of the database driver, because the file reader's worker thread
// (src/application/ingest/parseWorker.ts) builds it and hands it to the loading thread as plain
// typed arrays, moved rather than copied (RideRows.parts / RideRows.fromParts).
// The ids are not kept as strings: each is read back from the COPY bytes when asked for (a
// repeat within a batch, a reload's present rides), so that a fresh load keeps no million strings
// and the batch crosses threads as bytes alone.
import type { RideRow } from './rideLoads.js';
import { BinaryCopyWriter, NUMBER_FLOAT8, NUMBER_INT2, type BinaryCopyParts } from './binaryCopy.js';

/** Column order of encodeRideRow. */
export const RIDE_COLUMNS = `ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date, source, load_id,
  trip_distance_mi, vendor_id, passenger_count, ratecode_id, store_and_fwd_flag,
  pickup_zone_id, dropoff_zone_id, payment_type, trip_type,
  fare_amount, extra, mta_tax, tip_amount, tolls_amount, ehail_fee,
  improvement_surcharge, congestion_surcharge, airport_fee, total_amount`;
export const RIDE_COLUMN_COUNT = 27;

/**
 * A ride id as ASCII bytes in bytes[0, length): how the parse worker hands TLC ids over, written
 * straight into the COPY row instead of built as a string and encoded (ingest/tlcRideId.ts).
 */
export interface IdBytes {
  bytes: Uint8Array;
  length: number;
}

/** A RideRows as typed arrays and plain values: what crosses from the reader's thread. */
export interface RideRowsParts {
  copy: BinaryCopyParts;
  serviceDays: Int32Array;
  idHashes: Int32Array;
  idHashes2: Int32Array;
  minId: string;
  maxId: string;
  asciiIds: boolean;
}

// 2 bytes of field count, then the ride_id field: its length (4 bytes) and its bytes
const ID_LENGTH_AT = 2;
const ID_AT = 6;
// the binary COPY header: signature, flags, extension length
const HEADER_BYTES = 19;

export class RideRows {
  /** the lowest and highest id added (see minId, maxId) */
  private lowest = '';
  private highest = '';
  /**
   * The same as bytes, for a batch whose ids come as bytes (add with IdBytes): compared there
   * byte by byte, made text only when asked for. null for a batch of text ids.
   */
  private lowestBytes: Uint8Array | null = null;
  private highestBytes: Uint8Array | null = null;
  private lowestLength = 0;
  private highestLength = 0;
  /** every id is ASCII, so JavaScript orders them as the database (collation "C") does */
  asciiIds = true;
  /** service day of each ride, days since 1970-01-01 */
  serviceDays: Int32Array;
  /** the distinct service days of the batch */
  readonly days = new Set<number>();
  /** FNV-1a hash of each id, for finding ids that repeat within the batch */
  idHashes: Int32Array;
  /** a second hash of each id (FNV-1a from another basis, another prime), for NewDays's IdHashSet */
  idHashes2: Int32Array;
  private readonly writer: BinaryCopyWriter;
  /** the COPY rows are in SharedArrayBuffer memory (BinaryCopyWriter's `shared`) */
  private readonly shared: boolean;

  /**
   * @param source the rides' `source` column (the file format)
   * @param loadId the loads row the rides belong to
   * @param initialBytes the COPY buffer's first size: a reader that fills batch after batch passes
   *   the last batch's, so that the buffer is not grown (and copied) again each time
   * @param from a batch's parts to continue (fromParts) or, emptied, to reuse (reusing)
   */
  constructor(
    private readonly source: string,
    readonly loadId: number,
    initialBytes = 1 << 20,
    from?: { parts: RideRowsParts; empty: boolean },
    shared = false,
  ) {
    // a batch continued or reused keeps the kind of memory it came in
    this.shared = from ? from.parts.copy.bytes.buffer instanceof SharedArrayBuffer : shared;
    if (from) {
      const { parts, empty } = from;
      this.writer = BinaryCopyWriter.fromParts(RIDE_COLUMN_COUNT, empty ? { ...parts.copy, length: HEADER_BYTES, rows: 0 } : parts.copy);
      // whole buffers: parts() posts views of the rows only
      this.serviceDays = empty ? new Int32Array(parts.serviceDays.buffer) : parts.serviceDays;
      this.idHashes = empty ? new Int32Array(parts.idHashes.buffer) : parts.idHashes;
      this.idHashes2 = empty ? new Int32Array(parts.idHashes2.buffer) : parts.idHashes2;
      if (!empty) {
        this.lowest = parts.minId;
        this.highest = parts.maxId;
        this.asciiIds = parts.asciiIds;
        for (let i = 0; i < this.count; i++) this.days.add(this.serviceDays[i]);
      }
    } else {
      this.writer = new BinaryCopyWriter(RIDE_COLUMN_COUNT, initialBytes, shared);
      this.serviceDays = new Int32Array(1024);
      this.idHashes = new Int32Array(1024);
      this.idHashes2 = new Int32Array(1024);
    }
  }

  /** A batch another thread built, from its parts (which it gave up: they are this batch's now). */
  static fromParts(parts: RideRowsParts): RideRows {
    return new RideRows('', 0, 0, { parts, empty: false });
  }

  /**
   * A new, empty batch in the buffers of one that was written and handed back: a reader that
   * allocated ~8 MB of buffers per batch made the loading thread's garbage collector run a full
   * collection per batch or two (external memory), 0.7 s of pauses per 1M rows.
   */
  static reusing(source: string, loadId: number, parts: RideRowsParts): RideRows {
    return new RideRows(source, loadId, 0, { parts, empty: true });
  }

  /**
   * A new, empty batch for the same load (or the load's id, when this one was begun without it), its COPY buffer made as large as this one's (and a
   * sixteenth) so that a reader filling batch after batch does not grow (and copy) it again.
   */
  emptyLike(loadId = this.loadId): RideRows {
    return new RideRows(this.source, loadId, this.bytes + (this.bytes >> 4), undefined, this.shared);
  }

  /** rides added */
  get count(): number {
    return this.writer.rowCount;
  }

  /** bytes of the COPY rows so far */
  get bytes(): number {
    return this.writer.byteLength;
  }

  /**
   * @param id the ride's id as bytes (ASCII), when not r.rideId: a batch takes its ids all one way
   */
  add(r: RideRow, id?: IdBytes): void {
    const i = this.count;
    if (i >= this.serviceDays.length) this.growIndex();
    this.serviceDays[i] = r.serviceDay;
    this.days.add(r.serviceDay);
    if (id === undefined) {
      if (this.lowestBytes !== null) throw new Error('a batch of RideRows takes its ids all as text or all as bytes');
      const text = r.rideId;
      if (i === 0 || text < this.lowest) this.lowest = text;
      if (i === 0 || text > this.highest) this.highest = text;
      this.hashId(text, i);
      encodeRideRow(this.writer, text, r, this.source, this.loadId);
    } else {
      if (i > 0 && this.lowestBytes === null) throw new Error('a batch of RideRows takes its ids all as text or all as bytes');
      this.noteIdBytes(id, i);
      encodeRideRow(this.writer, id, r, this.source, this.loadId);
    }
  }

  /** the lowest id added */
  get minId(): string {
    return this.lowestBytes === null ? this.lowest : Buffer.from(this.lowestBytes.buffer, 0, this.lowestLength).toString('latin1');
  }

  /** the highest id added */
  get maxId(): string {
    return this.highestBytes === null ? this.highest : Buffer.from(this.highestBytes.buffer, 0, this.highestLength).toString('latin1');
  }

  /** The ride_id of the ride added i-th, read back from its COPY row. */
  id(i: number): string {
    const at = this.writer.rowStart(i);
    const bytes = this.writer.bytesSoFar;
    return bytes.toString('utf8', at + ID_AT, at + ID_AT + bytes.readInt32BE(at + ID_LENGTH_AT));
  }

  /** Every ride_id, in order of addition. */
  ids(): string[] {
    return Array.from({ length: this.count }, (_, i) => this.id(i));
  }

  /** 1 for each ride whose id an earlier ride of this batch has, else 0. */
  repeatedIds(): Uint8Array {
    const repeated = new Uint8Array(this.count);
    let size = 1024;
    while (size < this.count * 2) size *= 2;
    const slots = new Int32Array(size); // row index + 1; 0 = empty
    const mask = size - 1;
    for (let i = 0; i < this.count; i++) {
      const hash = this.idHashes[i];
      let slot = hash & mask;
      for (;;) {
        const j = slots[slot] - 1;
        if (j < 0) {
          slots[slot] = i + 1;
          break;
        }
        if (this.idHashes[j] === hash && this.id(j) === this.id(i)) {
          repeated[i] = 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return repeated;
  }

  /**
   * The COPY input: every ride, or only those `keep` says (by index of addition) as pieces of
   * this batch's own buffer (BinaryCopyWriter.pieces), valid until the next add.
   */
  copyInput(keep?: (index: number) => boolean): Buffer | Buffer[] {
    return keep ? this.writer.pieces(keep) : this.writer.finish();
  }

  /**
   * The batch as parts to post to another thread, with the buffers to transfer (moved, not
   * copied: this batch is unusable afterwards).
   */
  parts(): { parts: RideRowsParts; transfer: ArrayBuffer[] } {
    const n = this.count;
    const copy = this.writer.parts();
    const parts: RideRowsParts = {
      copy,
      serviceDays: this.serviceDays.subarray(0, n),
      idHashes: this.idHashes.subarray(0, n),
      idHashes2: this.idHashes2.subarray(0, n),
      minId: this.minId,
      maxId: this.maxId,
      asciiIds: this.asciiIds,
    };
    return { parts, transfer: transferOf(parts) };
  }

  /** FNV-1a of the id's UTF-16 units, and a second hash; notes on the way whether it is ASCII. */
  private hashId(id: string, i: number): void {
    let hash = 0x811c9dc5;
    let hash2 = 0x2f1a7e5b;
    let ascii = true;
    for (let k = 0; k < id.length; k++) {
      const c = id.charCodeAt(k);
      if (c >= 128) ascii = false;
      hash = Math.imul(hash ^ c, 0x01000193);
      hash2 = Math.imul(hash2 ^ c, 0x0100_01b3);
    }
    if (!ascii) this.asciiIds = false;
    this.idHashes[i] = hash;
    this.idHashes2[i] = hash2 ^ (hash2 >>> 15);
  }

  /**
   * hashId's two hashes of an id given as bytes (the same values for an ASCII id as of its text),
   * and the batch's lowest and highest id kept as bytes, compared as the database's "C" collation
   * and JavaScript compare ASCII.
   */
  private noteIdBytes(id: IdBytes, i: number): void {
    const bytes = id.bytes;
    const n = id.length;
    let hash = 0x811c9dc5;
    let hash2 = 0x2f1a7e5b;
    let ascii = true;
    for (let k = 0; k < n; k++) {
      const c = bytes[k];
      if (c >= 128) ascii = false;
      hash = Math.imul(hash ^ c, 0x01000193);
      hash2 = Math.imul(hash2 ^ c, 0x0100_01b3);
    }
    if (!ascii) this.asciiIds = false;
    this.idHashes[i] = hash;
    this.idHashes2[i] = hash2 ^ (hash2 >>> 15);
    if (this.lowestBytes === null || this.highestBytes === null) {
      this.lowestBytes = new Uint8Array(Math.max(64, n));
      this.highestBytes = new Uint8Array(Math.max(64, n));
    }
    if (i === 0 || compareBytes(bytes, n, this.lowestBytes, this.lowestLength) < 0) {
      if (this.lowestBytes.length < n) this.lowestBytes = new Uint8Array(n);
      this.lowestBytes.set(bytes.subarray(0, n));
      this.lowestLength = n;
    }
    if (i === 0 || compareBytes(bytes, n, this.highestBytes, this.highestLength) > 0) {
      if (this.highestBytes.length < n) this.highestBytes = new Uint8Array(n);
      this.highestBytes.set(bytes.subarray(0, n));
      this.highestLength = n;
    }
  }

  private growIndex(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.serviceDays = grow(this.serviceDays);
    this.idHashes = grow(this.idHashes);
    this.idHashes2 = grow(this.idHashes2);
  }
}

/** Byte order of a[0, an) and b[0, bn): negative, 0 or positive. */
function compareBytes(a: Uint8Array, an: number, b: Uint8Array, bn: number): number {
  const n = an < bn ? an : bn;
  for (let k = 0; k < n; k++) {
    const d = a[k] - b[k];
    if (d !== 0) return d;
  }
  return an - bn;
}

/** load_id's place in RIDE_COLUMNS */
const LOAD_ID_FIELD = 7;
if (RIDE_COLUMNS.split(',')[LOAD_ID_FIELD].trim() !== 'load_id') throw new Error('setLoadId expects load_id as the 8th of RIDE_COLUMNS');

/**
 * Sets every row's load_id in a batch encoded before the load had its id (the parse worker starts
 * on the file while the load's transaction begins, parseWorker.ts): each row's field found by the
 * lengths of the 7 before it. The same bytes as the rows encoded with that id.
 */
export function setLoadId(parts: RideRowsParts, loadId: number): void {
  const { bytes, rowStarts, rows } = parts.copy;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const high = Math.floor(loadId / 2 ** 32);
  for (let row = 0; row < rows; row++) {
    let at = rowStarts[row] + 2;
    // a NULL field's length is -1, with no bytes
    for (let field = 0; field < LOAD_ID_FIELD; field++) at += 4 + Math.max(0, view.getInt32(at));
    if (view.getInt32(at) !== 8) throw new Error(`row ${row} of the batch has no int8 load_id where expected`);
    view.setInt32(at + 4, high);
    view.setUint32(at + 8, loadId - high * 2 ** 32);
  }
}

/** The buffers of a batch's parts that postMessage moves (shared memory is shared, not moved). */
export function transferOf(parts: RideRowsParts): ArrayBuffer[] {
  const buffers = [parts.copy.bytes.buffer, parts.copy.rowStarts.buffer, parts.serviceDays.buffer, parts.idHashes.buffer, parts.idHashes2.buffer];
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

// The ride's int2 and float8 fields around store_and_fwd_flag, in column order, written by
// BinaryCopyWriter.numbers from one reused array (NaN for NULL: decoded values are finite).
const BEFORE_FLAG = new Uint8Array([NUMBER_FLOAT8, NUMBER_INT2, NUMBER_INT2, NUMBER_INT2]);
const AFTER_FLAG = new Uint8Array([NUMBER_INT2, NUMBER_INT2, NUMBER_INT2, NUMBER_INT2, ...Array<number>(10).fill(NUMBER_FLOAT8)]);
// the 8 fields before these, the flag between them: a field left out would shift every later column
if (8 + BEFORE_FLAG.length + 1 + AFTER_FLAG.length !== RIDE_COLUMN_COUNT) throw new Error('encodeRideRow does not write RIDE_COLUMN_COUNT fields');
const beforeFlag = new Float64Array(BEFORE_FLAG.length);
const afterFlag = new Float64Array(AFTER_FLAG.length);

// The source and load_id fields are the same in every row of a load: encoded once (by the
// writer's own text and int8) and copied, not encoded per row (~0.15 CPU s per 1M rows in a
// profile of the parse worker).
let lastSource = '';
let lastLoadId = NaN;
let lastSourceAndLoad = new Uint8Array(0);

function sourceAndLoad(source: string, loadId: number): Uint8Array {
  if (source !== lastSource || loadId !== lastLoadId) {
    const writer = new BinaryCopyWriter(2, 64).beginRow().text(source).int8(loadId);
    // after the 19-byte header and the row's 2-byte field count
    lastSourceAndLoad = Uint8Array.from(writer.bytesSoFar.subarray(HEADER_BYTES + 2, writer.byteLength));
    lastSource = source;
    lastLoadId = loadId;
  }
  return lastSourceAndLoad;
}

/** One ride as a row of the loader's binary COPY into rides, in RIDE_COLUMNS order (the bench times this encoding alone). */
export function encodeRideRow(writer: BinaryCopyWriter, id: string | IdBytes, r: RideRow, source: string, loadId: number): void {
  beforeFlag[0] = r.tripDistanceMi ?? NaN;
  beforeFlag[1] = r.vendorId ?? NaN;
  beforeFlag[2] = r.passengerCount ?? NaN;
  beforeFlag[3] = r.ratecodeId ?? NaN;
  afterFlag[0] = r.pickupZoneId ?? NaN;
  afterFlag[1] = r.dropoffZoneId ?? NaN;
  afterFlag[2] = r.paymentType ?? NaN;
  afterFlag[3] = r.tripType ?? NaN;
  afterFlag[4] = r.fareAmount ?? NaN;
  afterFlag[5] = r.extra ?? NaN;
  afterFlag[6] = r.mtaTax ?? NaN;
  afterFlag[7] = r.tipAmount ?? NaN;
  afterFlag[8] = r.tollsAmount ?? NaN;
  afterFlag[9] = r.ehailFee ?? NaN;
  afterFlag[10] = r.improvementSurcharge ?? NaN;
  afterFlag[11] = r.congestionSurcharge ?? NaN;
  afterFlag[12] = r.airportFee ?? NaN;
  afterFlag[13] = r.totalAmount ?? NaN;
  writer.beginRow();
  if (typeof id === 'string') writer.text(id);
  else writer.ascii(id.bytes, id.length);
  writer
    .text(r.taxiId)
    .timestampMs(r.pickupAtMs)
    .timestampMs(r.dropoffAtMs)
    .float8(r.distanceKm)
    .date(r.serviceDay)
    .encoded(sourceAndLoad(source, loadId))
    .numbers(BEFORE_FLAG, beforeFlag)
    .text(r.storeAndFwdFlag)
    .numbers(AFTER_FLAG, afterFlag);
}
