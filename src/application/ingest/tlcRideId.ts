// A TLC trip record has no id: its ride_id is derived from its content, so that loading a file
// twice, or the CSV and the Parquet edition of the same month, adds each trip once.
//
//   tlc-y-20210101T003010-1f0c2b9e4d7a8c35
//   └ format └ pickup (wall clock) └ 64 bits of SHA-256 of every decoded field
//
// The hash covers the decoded values (as float64 bytes), not the text, so '2.10' in a CSV and 2.1
// in Parquet give the same id. The pickup time in front keeps the ids of one file close together
// in the primary key: TLC files come roughly in pickup order, so a load appends to a few index
// pages instead of touching one at random per row (a million primary-key inserts took 3.8 s in
// order against 12.7 s at random here); it also makes collisions a matter of trips in the same
// second, where 64 bits are ample. Two rows equal in every field are one trip.
import { hash } from 'node:crypto';
import type { LoadedRide } from './types.js';
import type { IdBytes } from '../../storage/rideRows.js';

const PREFIX = { 'tlc-yellow': 'tlc-y-', 'tlc-green': 'tlc-g-' } as const;
const HEX_CHARS = 16;
/** bytes of an id: 'tlc-y-', YYYYMMDD, 'T', HHMMSS, '-', 16 hex digits */
export const TLC_ID_BYTES = 6 + 8 + 1 + 6 + 1 + HEX_CHARS;

const FIELDS = 21;
const key = new DataView(new ArrayBuffer(8 * FIELDS));
const keyBytes = new Uint8Array(key.buffer);

/** The id as text: the bytes writeTlcRideId writes (ASCII), so the two cannot differ. */
export function tlcRideId(format: 'tlc-yellow' | 'tlc-green', r: LoadedRide, pickupMs: number, dropoffMs: number): string {
  writeTlcRideId(format, r, pickupMs, dropoffMs, scratch);
  return scratch.bytes.toString('latin1', 0, scratch.length);
}

const scratch = { bytes: Buffer.alloc(TLC_ID_BYTES), length: 0 };

/**
 * The id written as ASCII bytes into `out`, from byte 0 (out.length is set). The parse worker
 * writes it thus into the COPY row (RideRows.add with the bytes): built as a JavaScript string,
 * then UTF-8 encoded and hashed as UTF-16, the ids of 1M rows cost the worker ~1.1 s of a 7.7 s
 * CPU profile; as bytes ~0.6 s, SHA-256 aside (docs/performance.md, "the load's reader on bytes").
 */
export function writeTlcRideId(format: 'tlc-yellow' | 'tlc-green', r: LoadedRide, pickupMs: number, dropoffMs: number, out: IdBytes): void {
  put(0, pickupMs);
  put(1, dropoffMs);
  put(2, r.storeAndFwdFlag === 'Y' ? 1 : r.storeAndFwdFlag === 'N' ? 0 : null);
  put(3, r.vendorId);
  put(4, r.passengerCount);
  put(5, r.tripDistanceMi);
  put(6, r.ratecodeId);
  put(7, r.pickupZoneId);
  put(8, r.dropoffZoneId);
  put(9, r.paymentType);
  put(10, r.tripType);
  put(11, r.fareAmount);
  put(12, r.extra);
  put(13, r.mtaTax);
  put(14, r.tipAmount);
  put(15, r.tollsAmount);
  put(16, r.ehailFee);
  put(17, r.improvementSurcharge);
  put(18, r.congestionSurcharge);
  put(19, r.airportFee);
  put(20, r.totalAmount);
  // crypto.hash to hex is the cheapest SHA-256 measured here (0.7–0.9 µs for the 168 bytes; to a
  // Buffer 2–2.5 µs, createHash 2.1–2.5 µs, a pure-JS SHA-256 3.1 µs)
  const hex = hash('sha256', keyBytes, 'hex');
  const bytes = out.bytes;
  const day = dayBytes(format, pickupMs);
  for (let i = 0; i < DAY_PART; i++) bytes[i] = day[i];
  let seconds = Math.floor((pickupMs - Math.floor(pickupMs / 86_400_000) * 86_400_000) / 1000);
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const mi = Math.floor(seconds / 60);
  const s = seconds - mi * 60;
  bytes[DAY_PART] = 48 + Math.floor(h / 10);
  bytes[DAY_PART + 1] = 48 + (h % 10);
  bytes[DAY_PART + 2] = 48 + Math.floor(mi / 10);
  bytes[DAY_PART + 3] = 48 + (mi % 10);
  bytes[DAY_PART + 4] = 48 + Math.floor(s / 10);
  bytes[DAY_PART + 5] = 48 + (s % 10);
  bytes[DAY_PART + 6] = 45; // '-'
  for (let i = 0; i < HEX_CHARS; i++) bytes[DAY_PART + 7 + i] = hex.charCodeAt(i);
  out.length = TLC_ID_BYTES;
}

// The id's text in front of the time: 'tlc-y-YYYYMMDDT' of the last pickup day, as bytes (rows
// come in pickup order: one day's text serves thousands of rows).
const DAY_PART = 15;
let lastDay = NaN;
let lastFormat = '';
const lastDayBytes = new Uint8Array(DAY_PART);

function dayBytes(format: 'tlc-yellow' | 'tlc-green', ms: number): Uint8Array {
  const day = Math.floor(ms / 86_400_000);
  if (day !== lastDay || format !== lastFormat) {
    lastDay = day;
    lastFormat = format;
    const text = `${PREFIX[format]}${stamp(day * 86_400_000).slice(0, 9)}`;
    for (let i = 0; i < DAY_PART; i++) lastDayBytes[i] = text.charCodeAt(i);
  }
  return lastDayBytes;
}

/** NULL as NaN (decoded values are finite), -0 as 0; little-endian whatever the machine. */
function put(slot: number, value: number | null | undefined): void {
  key.setFloat64(slot * 8, value === null || value === undefined ? NaN : value === 0 ? 0 : value, true);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** YYYYMMDDTHHMMSS of a wall-clock time given as ms since 1970 read as if UTC. */
function stamp(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let seconds = Math.floor((ms - days * 86_400_000) / 1000);
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const mi = Math.floor(seconds / 60);
  const s = seconds - mi * 60;
  // civil from days (H. Hinnant): exact for every proleptic Gregorian date
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}${pad2(m)}${pad2(d)}T${pad2(h)}${pad2(mi)}${pad2(s)}`;
}
