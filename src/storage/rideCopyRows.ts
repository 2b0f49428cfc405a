// Rides encoded as binary COPY rows for the rides table itself (column list: COPY_RIDES in
// loadSql.ts). Unlike the general BinaryCopyWriter this one knows the row: one capacity check per
// row, smallint and date fields, timestamps without BigInt, and each row's place in the buffer,
// so that rides found already present can be left out of the COPY without encoding again.
import type { LoadedRide } from './rideLoads.js';
import { PG_EPOCH_MS, SIGNATURE } from './binaryCopy.js';

const COLUMNS = 27;
/** bytes of a row besides its four text fields: field count, 27 lengths, fixed-size values */
const FIXED_ROW_BYTES = 2 + COLUMNS * 4 + 2 * 8 + 4 + 8 + 8 * 12 + 8 * 2;
const PG_EPOCH_DAY = 10_957; // 2000-01-01 in days since 1970-01-01
const TWO_32 = 4_294_967_296;

export class RideCopyRows {
  /** rides added */
  count = 0;
  readonly ids: string[] = [];
  /** the lowest and highest id added */
  minId = '';
  maxId = '';
  /** every id is ASCII, so JavaScript orders them as the database (collation "C") does */
  asciiIds = true;
  /** service day of each ride, days since 1970-01-01 */
  serviceDays: Int32Array = new Int32Array(1024);
  /** FNV-1a hash of each id, for finding ids that repeat within the batch */
  private idHashes: Int32Array = new Int32Array(1024);
  private starts: Uint32Array = new Uint32Array(1025);
  private buffer: Buffer;
  private view: DataView;
  private offset = 19;
  /** the source column, the same in every row: length and bytes */
  private readonly sourceBytes: Buffer;

  constructor(
    private readonly source: string,
    private readonly loadId: number,
    initialBytes = 1 << 20,
  ) {
    const encoded = Buffer.from(source);
    this.sourceBytes = Buffer.alloc(4 + encoded.length);
    this.sourceBytes.writeInt32BE(encoded.length, 0);
    encoded.copy(this.sourceBytes, 4);
    this.buffer = Buffer.alloc(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    SIGNATURE.copy(this.buffer, 0);
  }

  add(r: LoadedRide): void {
    const taxi = r.taxiId;
    const flag = r.storeAndFwdFlag ?? null;
    this.ensure(FIXED_ROW_BYTES + 3 * (r.rideId.length + (taxi?.length ?? 0) + (flag?.length ?? 0) + this.source.length));
    const i = this.count++;
    if (i + 1 >= this.serviceDays.length) this.growIndex();
    const id = r.rideId;
    this.ids.push(id);
    if (i === 0 || id < this.minId) this.minId = id;
    if (i === 0 || id > this.maxId) this.maxId = id;
    this.serviceDays[i] = r.serviceDay;
    this.starts[i] = this.offset;
    const v = this.view;
    v.setInt16(this.offset, COLUMNS);
    this.offset += 2;
    this.idHashes[i] = this.idText(id);
    this.text(taxi);
    this.timestamp(r.pickupAtMs);
    this.timestamp(r.dropoffAtMs);
    this.float8(r.distanceKm);
    v.setInt32(this.offset, 4);
    v.setInt32(this.offset + 4, r.serviceDay - PG_EPOCH_DAY);
    this.offset += 8;
    const sourceBytes = this.sourceBytes;
    for (let k = 0; k < sourceBytes.length; k++) this.buffer[this.offset + k] = sourceBytes[k];
    this.offset += sourceBytes.length;
    v.setInt32(this.offset, 8);
    v.setInt32(this.offset + 4, Math.floor(this.loadId / TWO_32));
    v.setUint32(this.offset + 8, this.loadId % TWO_32);
    this.offset += 12;
    this.float8(r.tripDistanceMi);
    this.int2(r.vendorId);
    this.int2(r.passengerCount);
    this.int2(r.ratecodeId);
    this.text(flag);
    this.int2(r.pickupZoneId);
    this.int2(r.dropoffZoneId);
    this.int2(r.paymentType);
    this.int2(r.tripType);
    this.float8(r.fareAmount);
    this.float8(r.extra);
    this.float8(r.mtaTax);
    this.float8(r.tipAmount);
    this.float8(r.tollsAmount);
    this.float8(r.ehailFee);
    this.float8(r.improvementSurcharge);
    this.float8(r.congestionSurcharge);
    this.float8(r.airportFee);
    this.float8(r.totalAmount);
    this.starts[i + 1] = this.offset;
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
        if (this.idHashes[j] === hash && this.ids[j] === this.ids[i]) {
          repeated[i] = 1;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return repeated;
  }

  /** The COPY input: every ride, or only those `keep` says (by index of addition). */
  build(keep?: (index: number) => boolean): Buffer {
    if (!keep) {
      this.ensure(2);
      this.view.setInt16(this.offset, -1);
      return this.buffer.subarray(0, this.offset + 2);
    }
    const out = Buffer.alloc(this.offset + 2);
    SIGNATURE.copy(out, 0);
    let at = 19;
    for (let i = 0; i < this.count; i++) {
      if (!keep(i)) continue;
      at += this.buffer.copy(out, at, this.starts[i], this.starts[i + 1]);
    }
    out.writeInt16BE(-1, at);
    return out.subarray(0, at + 2);
  }

  /** The ride id as text; returns its FNV-1a hash, computed on the way. */
  private idText(id: string): number {
    const at = this.offset + 4;
    const bytes = this.buffer;
    let hash = 0x811c9dc5;
    let ascii = true;
    for (let k = 0; k < id.length; k++) {
      const c = id.charCodeAt(k);
      if (c >= 128) ascii = false;
      hash = Math.imul(hash ^ c, 0x01000193);
      bytes[at + k] = c;
    }
    if (!ascii) this.asciiIds = false;
    const length = ascii ? id.length : this.buffer.write(id, at);
    this.view.setInt32(this.offset, length);
    this.offset += 4 + length;
    return hash;
  }

  // ASCII (every TLC id) byte by byte: cheaper than a call into the encoder for short strings.
  private text(value: string | null): void {
    if (value === null) return this.nul();
    const at = this.offset + 4;
    const n = value.length;
    const bytes = this.buffer;
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 128) break;
      bytes[at + i] = c;
    }
    const length = i === n ? n : this.buffer.write(value, at);
    this.view.setInt32(this.offset, length);
    this.offset += 4 + length;
  }

  /** timestamptz: int8 microseconds since 2000-01-01, as two 32-bit halves (exact below 2^53) */
  private timestamp(ms: number): void {
    const micros = Math.round((ms - PG_EPOCH_MS) * 1000);
    const high = Math.floor(micros / TWO_32);
    this.view.setInt32(this.offset, 8);
    this.view.setInt32(this.offset + 4, high);
    this.view.setUint32(this.offset + 8, micros - high * TWO_32);
    this.offset += 12;
  }

  private float8(value: number | null | undefined): void {
    if (value === null || value === undefined) return this.nul();
    this.view.setInt32(this.offset, 8);
    this.view.setFloat64(this.offset + 4, value);
    this.offset += 12;
  }

  private int2(value: number | null | undefined): void {
    if (value === null || value === undefined) return this.nul();
    this.view.setInt32(this.offset, 2);
    this.view.setInt16(this.offset + 4, value);
    this.offset += 6;
  }

  private nul(): void {
    this.view.setInt32(this.offset, -1);
    this.offset += 4;
  }

  private ensure(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.offset + bytes) size *= 2;
    const next = Buffer.alloc(size);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  private growIndex(): void {
    const days = new Int32Array(this.serviceDays.length * 2);
    days.set(this.serviceDays);
    this.serviceDays = days;
    const hashes = new Int32Array(days.length);
    hashes.set(this.idHashes);
    this.idHashes = hashes;
    const starts = new Uint32Array(days.length + 1);
    starts.set(this.starts);
    this.starts = starts;
  }
}
