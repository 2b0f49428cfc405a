// PostgreSQL's binary COPY format, read into typed arrays and written from them.
// Hand-written rather than pg-copy-streams-binary: that library builds one JS object per row,
// while the nightly read of 1M rides must stay a few hundred ms and a few tens of MB; here a row
// costs a handful of DataView reads and the text ids stay as byte ranges of the COPY buffer.
/** The 11 bytes every binary COPY stream starts with. */
export const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export type BinaryField = 'text' | 'float8' | 'float4' | 'bool' | 'int8' | 'int2' | 'date';

/** One column of a binary COPY result; which arrays are set depends on the field type. */
export interface BinaryColumn {
  type: BinaryField;
  /** float8/float4/int8/int2/date values (date: days since 2000-01-01); NaN where NULL */
  numbers?: Float64Array;
  /** bool: 1 true, 0 false, -1 NULL */
  flags?: Int8Array;
  /** text: byte range [starts[i], starts[i] + lengths[i]) of `buffer`; length -1 where NULL */
  starts?: Uint32Array;
  lengths?: Int32Array;
}

export interface BinaryTable {
  rowCount: number;
  buffer: Buffer;
  columns: BinaryColumn[];
}

/** Parses a whole binary COPY output whose columns have the given types, in order. */
export function parseBinaryCopy(buffer: Buffer, types: BinaryField[]): BinaryTable {
  if (buffer.length === 0) return { rowCount: 0, buffer, columns: types.map((type) => allocate(type, 0)) };
  const view = viewOf(buffer);
  let offset = firstRow(buffer, view);
  let capacity = 1024;
  let columns = types.map((type) => allocate(type, capacity));
  let row = 0;
  for (;;) {
    const fieldCount = view.getInt16(offset);
    if (fieldCount === -1) break;
    if (fieldCount !== types.length) throw wrongFieldCount(row, fieldCount, types.length);
    if (row === capacity) {
      capacity *= 2;
      columns = columns.map((column) => grow(column, capacity));
    }
    offset = readRow(view, offset + 2, columns, row);
    row++;
  }
  return { rowCount: row, buffer, columns: columns.map((column) => shrink(column, row)) };
}

/**
 * Where each row of a binary COPY output starts (the offset of its field count), every row
 * checked to have `fieldCount` fields: a pass that reads only the fields' lengths. With
 * parseBinaryCopyRows, a reader can parse the rows in an order of its own choosing instead of
 * parsing them in the stream's order and then gathering every column.
 */
export function binaryCopyRowStarts(buffer: Buffer, fieldCount: number): Uint32Array {
  if (buffer.length === 0) return new Uint32Array(0);
  const view = viewOf(buffer);
  let offset = firstRow(buffer, view);
  let starts = new Uint32Array(1024);
  let row = 0;
  for (;;) {
    const fields = view.getInt16(offset);
    if (fields === -1) break;
    if (fields !== fieldCount) throw wrongFieldCount(row, fields, fieldCount);
    if (row === starts.length) {
      const next = new Uint32Array(2 * row);
      next.set(starts);
      starts = next;
    }
    starts[row++] = offset;
    offset += 2;
    for (let f = 0; f < fields; f++) {
      const length = view.getInt32(offset);
      offset += length > 0 ? 4 + length : 4;
    }
  }
  return starts.subarray(0, row);
}

/** Parses the rows that start at the given offsets (binaryCopyRowStarts), in the order given. */
export function parseBinaryCopyRows(buffer: Buffer, types: BinaryField[], rowStarts: Uint32Array): BinaryTable {
  const n = rowStarts.length;
  const columns = types.map((type) => allocate(type, n));
  if (n === 0) return { rowCount: 0, buffer, columns };
  const view = viewOf(buffer);
  const touched = new Uint8Array(1);
  for (let block = 0; block < n; block += PREFETCH_ROWS) {
    const end = Math.min(n, block + PREFETCH_ROWS);
    // Rows far apart in a large buffer are each a cache (and TLB) miss. Touching the block's rows
    // first, in a loop of independent loads, lets the processor wait for many of those misses at
    // once; parsing a row at a time waits for them one by one.
    let touch = 0;
    for (let row = block; row < end; row++) touch ^= buffer[rowStarts[row]] ^ buffer[rowStarts[row] + 63];
    touched[0] ^= touch;
    for (let row = block; row < end; row++) readRow(view, rowStarts[row] + 2, columns, row);
  }
  return { rowCount: n, buffer, columns };
}

/** rows touched ahead of parsing in parseBinaryCopyRows */
const PREFETCH_ROWS = 256;

function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Checks the header; the offset of the first row. */
function firstRow(buffer: Buffer, view: DataView): number {
  if (buffer.length < 19 || !buffer.subarray(0, 11).equals(SIGNATURE)) {
    throw new Error('not a PostgreSQL binary COPY stream (bad signature)');
  }
  return 19 + view.getInt32(15);
}

function wrongFieldCount(row: number, found: number, expected: number): Error {
  return new Error(`binary COPY row ${row} has ${found} fields, expected ${expected}`);
}

/** Reads the fields that start at `offset` into `row` of the columns; the offset after them. */
function readRow(view: DataView, offset: number, columns: BinaryColumn[], row: number): number {
  for (let f = 0; f < columns.length; f++) {
    const length = view.getInt32(offset);
    offset += 4;
    const column = columns[f];
    switch (column.type) {
      case 'text':
        column.starts![row] = offset;
        column.lengths![row] = length;
        break;
      case 'bool':
        column.flags![row] = length < 0 ? -1 : view.getUint8(offset);
        break;
      case 'float8':
        column.numbers![row] = length < 0 ? NaN : view.getFloat64(offset);
        break;
      case 'float4':
        column.numbers![row] = length < 0 ? NaN : view.getFloat32(offset);
        break;
      case 'int8':
        column.numbers![row] = length < 0 ? NaN : Number(view.getBigInt64(offset));
        break;
      case 'int2':
        column.numbers![row] = length < 0 ? NaN : view.getInt16(offset);
        break;
      case 'date':
        column.numbers![row] = length < 0 ? NaN : view.getInt32(offset);
        break;
    }
    if (length > 0) offset += length;
  }
  return offset;
}

export function textAt(table: BinaryTable, column: number, row: number): string | null {
  const c = table.columns[column];
  const length = c.lengths![row];
  if (length < 0) return null;
  return table.buffer.toString('utf8', c.starts![row], c.starts![row] + length);
}

// Every column of one shape (the same four properties, unused ones undefined): readRow reads them
// at every field of every row, and objects of four shapes made those reads megamorphic.
function allocate(type: BinaryField, n: number): BinaryColumn {
  return {
    type,
    numbers: type === 'text' || type === 'bool' ? undefined : new Float64Array(n),
    flags: type === 'bool' ? new Int8Array(n) : undefined,
    starts: type === 'text' ? new Uint32Array(n) : undefined,
    lengths: type === 'text' ? new Int32Array(n) : undefined,
  };
}

function grow(column: BinaryColumn, n: number): BinaryColumn {
  const next = allocate(column.type, n);
  if (column.starts) next.starts!.set(column.starts);
  if (column.lengths) next.lengths!.set(column.lengths);
  if (column.flags) next.flags!.set(column.flags);
  if (column.numbers) next.numbers!.set(column.numbers);
  return next;
}

function shrink(column: BinaryColumn, n: number): BinaryColumn {
  return {
    type: column.type,
    numbers: column.numbers?.subarray(0, n),
    flags: column.flags?.subarray(0, n),
    starts: column.starts?.subarray(0, n),
    lengths: column.lengths?.subarray(0, n),
  };
}

/** A BinaryCopyWriter's rows as plain data: bytes[0, length) hold the header and `rows` rows, row i from rowStarts[i]. */
export interface BinaryCopyParts {
  bytes: Uint8Array;
  length: number;
  rows: number;
  /** at least rows + 1 entries */
  rowStarts: Uint32Array;
}

/**
 * Builds a binary COPY input row by row, growing one buffer. It remembers where each row starts,
 * so that finish() can leave rows out without encoding them again (the loader drops rides it finds
 * already present only after the batch is encoded). Fields are written through a DataView with
 * ASCII text copied byte by byte: for the short ids and codes of a ride that is cheaper than a
 * call into the string encoder, and the load of 1M TLC rows encodes 27 fields a row.
 */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private view: DataView;
  private offset = 0;
  private rows = 0;
  private starts: Uint32Array = new Uint32Array(1024);

  /**
   * @param shared write into SharedArrayBuffer memory: rows encoded on one thread and written to
   *   the database by another cross without a copy and, unlike a transferred ArrayBuffer, without
   *   counting as new external memory on the receiving thread each time, which made its garbage
   *   collector run a full collection every batch or two
   */
  constructor(
    private readonly fieldCount: number,
    initialBytes = 1 << 16,
    private readonly shared = false,
  ) {
    this.buffer = this.allocate(Math.max(initialBytes, 64));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    SIGNATURE.copy(this.buffer, 0);
    this.view.setInt32(11, 0);
    this.view.setInt32(15, 0);
    this.offset = 19;
  }

  /** A writer over rows another writer encoded (its parts(), posted from another thread). */
  static fromParts(fieldCount: number, parts: BinaryCopyParts): BinaryCopyWriter {
    const writer = new BinaryCopyWriter(fieldCount, 64, parts.bytes.buffer instanceof SharedArrayBuffer);
    writer.buffer = Buffer.from(parts.bytes.buffer, parts.bytes.byteOffset, parts.bytes.byteLength);
    writer.view = new DataView(writer.buffer.buffer, writer.buffer.byteOffset, writer.buffer.byteLength);
    writer.offset = parts.length;
    writer.rows = parts.rows;
    writer.starts = parts.rowStarts;
    return writer;
  }

  /** The rows so far as typed arrays, for postMessage (their buffers can be transferred). */
  parts(): BinaryCopyParts {
    return { bytes: new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength), length: this.offset, rows: this.rows, rowStarts: this.starts };
  }

  /** rows begun so far */
  get rowCount(): number {
    return this.rows;
  }

  /** bytes written so far */
  get byteLength(): number {
    return this.offset;
  }

  /** the buffer the rows are written in (valid until the next write) */
  get bytesSoFar(): Buffer {
    return this.buffer;
  }

  /** where row i begins in bytesSoFar */
  rowStart(i: number): number {
    return this.starts[i];
  }

  beginRow(): this {
    if (this.rows + 1 >= this.starts.length) {
      const starts = new Uint32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    this.starts[this.rows++] = this.offset;
    this.ensure(2);
    this.view.setInt16(this.offset, this.fieldCount);
    this.offset += 2;
    return this;
  }

  null(): this {
    this.ensure(4);
    this.view.setInt32(this.offset, -1);
    this.offset += 4;
    return this;
  }

  /** Raw bytes of a text (or bytea) field, for example a slice of a COPY output buffer. */
  bytes(source: Buffer, start: number, length: number): this {
    this.ensure(4 + length);
    this.view.setInt32(this.offset, length);
    source.copy(this.buffer, this.offset + 4, start, start + length);
    this.offset += 4 + length;
    return this;
  }

  /** A text field already encoded, bytes[0, length) (a ride id written as bytes). */
  ascii(source: Uint8Array, length: number): this {
    this.ensure(4 + length);
    this.view.setInt32(this.offset, length);
    this.offset += 4;
    return this.encoded(source, length);
  }

  /**
   * Fields already encoded (each its length and bytes), fields[0, n), as they are: copied by a
   * loop, cheaper than a call into Buffer.copy for a few dozen bytes.
   */
  encoded(fields: Uint8Array, n = fields.length): this {
    this.ensure(n);
    const at = this.offset;
    const bytes = this.buffer;
    for (let i = 0; i < n; i++) bytes[at + i] = fields[i];
    this.offset += n;
    return this;
  }

  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    const n = value.length;
    this.ensure(4 + 3 * n); // UTF-8 needs at most 3 bytes per UTF-16 unit
    const at = this.offset + 4;
    const bytes = this.buffer;
    let length: number;
    if (n > 16) {
      // a long text (a TLC ride id: a string built of parts) is copied faster by the encoder,
      // which flattens it once, than char by char
      length = bytes.write(value, at, 'utf8');
    } else {
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 128) break;
        bytes[at + i] = c;
      }
      length = i === n ? n : bytes.write(value, at);
    }
    this.view.setInt32(this.offset, length);
    this.offset += 4 + length;
    return this;
  }

  bool(value: boolean | null): this {
    if (value === null) return this.null();
    this.ensure(5);
    this.view.setInt32(this.offset, 1);
    this.view.setUint8(this.offset + 4, value ? 1 : 0);
    this.offset += 5;
    return this;
  }

  int2(value: number | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.ensure(6);
    this.view.setInt32(this.offset, 2);
    this.view.setInt16(this.offset + 4, value);
    this.offset += 6;
    return this;
  }

  /** int8 from a safe integer, as two 32-bit halves (no BigInt) */
  int8(value: number | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.ensure(12);
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.offset, 8);
    this.view.setInt32(this.offset + 4, high);
    this.view.setUint32(this.offset + 8, value - high * TWO_32);
    this.offset += 12;
    return this;
  }

  float4(value: number | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.ensure(8);
    this.view.setInt32(this.offset, 4);
    this.view.setFloat32(this.offset + 4, value);
    this.offset += 8;
    return this;
  }

  float8(value: number | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.ensure(12);
    this.view.setInt32(this.offset, 8);
    this.view.setFloat64(this.offset + 4, value);
    this.offset += 12;
    return this;
  }

  /**
   * Several int2 and float8 fields in one call: values[i] as kinds[i] says (NUMBER_INT2 or
   * NUMBER_FLOAT8), NaN for NULL. One loop instead of a method call per field: a ride row has 18
   * such fields, and V8 inlined few of 27 calls in one function (the encoding took about 1.6 CPU s
   * per 1M TLC rows, field calls mostly).
   */
  numbers(kinds: Uint8Array, values: Float64Array): this {
    const count = values.length;
    this.ensure(12 * count);
    const view = this.view;
    let at = this.offset;
    for (let i = 0; i < count; i++) {
      const v = values[i];
      if (v !== v) {
        view.setInt32(at, -1);
        at += 4;
      } else if (kinds[i] === NUMBER_INT2) {
        view.setInt32(at, 2);
        view.setInt16(at + 4, v);
        at += 6;
      } else {
        view.setInt32(at, 8);
        view.setFloat64(at + 4, v);
        at += 12;
      }
    }
    this.offset = at;
    return this;
  }

  /** date: days since 1970-01-01 (written as PostgreSQL's days since 2000-01-01) */
  date(daysSince1970: number | null | undefined): this {
    if (daysSince1970 === null || daysSince1970 === undefined) return this.null();
    this.ensure(8);
    this.view.setInt32(this.offset, 4);
    this.view.setInt32(this.offset + 4, daysSince1970 - PG_EPOCH_DAY);
    this.offset += 8;
    return this;
  }

  /** timestamp / timestamptz: microseconds since 2000-01-01 00:00 UTC */
  timestampMicros(value: number | null): this {
    if (value === null) return this.null();
    this.ensure(12);
    this.view.setInt32(this.offset, 8);
    this.view.setBigInt64(this.offset + 4, BigInt(Math.round(value)));
    this.offset += 12;
    return this;
  }

  /** timestamp / timestamptz from ms since 1970, without BigInt (exact below 2^53 µs) */
  timestampMs(ms: number | null | undefined): this {
    if (ms === null || ms === undefined) return this.null();
    return this.int8(Math.round((ms - PG_EPOCH_MS) * 1000));
  }

  /** The COPY input: every row (pieces() leaves some out). */
  finish(): Buffer {
    this.ensure(2);
    this.view.setInt16(this.offset, -1); // after the rows, not one of them: finish may run again
    return this.buffer.subarray(0, this.offset + 2);
  }

  /**
   * The COPY input of the rows `keep` says, as pieces sent one after another: the header, each
   * run of kept rows as a view of this writer's buffer, the trailer. No row is copied: copying
   * the kept rows into one buffer (as this did until session 20) ran between two statements
   * while the database waited, ~0.3 s of the loading thread per 1M TLC rows, most of whose
   * batches span a midnight (docs/performance.md "Issue 13: the load's start and its day
   * tables"). The views are valid until the next write; send them before writing again.
   */
  pieces(keep: (row: number) => boolean): Buffer[] {
    this.ensure(2);
    this.view.setInt16(this.offset, -1); // after the rows, not one of them (as finish)
    const pieces = [this.buffer.subarray(0, 19)];
    this.starts[this.rows] = this.offset;
    for (let i = 0; i < this.rows; ) {
      if (!keep(i)) {
        i++;
        continue;
      }
      const first = i;
      while (++i < this.rows && keep(i));
      pieces.push(this.buffer.subarray(this.starts[first], this.starts[i]));
    }
    pieces.push(this.buffer.subarray(this.offset, this.offset + 2));
    return pieces;
  }

  private allocate(bytes: number): Buffer {
    return this.shared ? Buffer.from(new SharedArrayBuffer(bytes)) : Buffer.alloc(bytes);
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const next = this.allocate(size);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}

/** kinds of BinaryCopyWriter.numbers */
export const NUMBER_INT2 = 0;
export const NUMBER_FLOAT8 = 1;

const TWO_32 = 4_294_967_296;
const PG_EPOCH_DAY = 10_957; // 2000-01-01 in days since 1970-01-01

/** Milliseconds since the Unix epoch → PostgreSQL's microseconds since 2000-01-01. */
export const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
export function unixMsToPgMicros(ms: number): number {
  return (ms - PG_EPOCH_MS) * 1000;
}
