// Decoders of one raw value each: a CSV field (a string, or a range of a line's text: see
// rowSources.ts) or a Parquet value (number, bigint, string, null). They return the typed value,
// null for an empty one, or INVALID; rowSchemas.ts turns INVALID into a zod issue that names the
// column. Written for the hot path: a 1M-row file runs them 20M times, so no regular expressions,
// substrings or allocations where a character loop will do.
import type { FieldKind } from './formats.js';

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/**
 * Where decodeTime says what kind of time it decoded: a wall-clock time (read as if UTC) or,
 * when the value carried an offset or came from a UTC-adjusted Parquet column, an instant.
 * An out-parameter rather than a returned object: no allocation per value.
 */
export interface TimeKind {
  instant: boolean;
}

/** An instant as the Parquet reader passes it on (a UTC-adjusted timestamp column). */
export interface InstantValue {
  instantMs: number;
}

const SMALLINT_MIN = -32768;
const SMALLINT_MAX = 32767;
const ID_MAX_LENGTH = 200;

/** What each kind expects, for the reject reason. */
export const EXPECTED: Record<FieldKind, string> = {
  id: 'is not a usable id (1 to 200 characters, no control characters)',
  optionalText: 'is not usable text (at most 200 characters, no control characters)',
  timestamp: 'is not a timestamp (YYYY-MM-DD HH:MM:SS, optionally with T, fractions of a second and an offset)',
  number: 'is not a number',
  whole: `is not a whole number within [${SMALLINT_MIN}, ${SMALLINT_MAX}]`,
  money: 'is not an amount',
  flag: 'is not Y, N or empty',
};

export const REASON_CODE: Record<FieldKind, string> = {
  id: 'bad_id',
  optionalText: 'bad_text',
  timestamp: 'bad_timestamp',
  number: 'bad_number',
  whole: 'bad_whole_number',
  money: 'bad_number',
  flag: 'bad_flag',
};

export function decodeNumber(v: unknown): number | null | Invalid {
  if (typeof v === 'string') return v === '' ? null : numberIn(v, 0, v.length);
  if (typeof v === 'number') return Number.isFinite(v) ? v : INVALID;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return null;
  return INVALID;
}

export function decodeWhole(v: unknown): number | null | Invalid {
  return wholeOf(decodeNumber(v));
}

/** A decoded number that must fit a smallint. */
export function wholeOf(n: number | null | Invalid): number | null | Invalid {
  if (n === null || n === INVALID) return n;
  return Number.isInteger(n) && n >= SMALLINT_MIN && n <= SMALLINT_MAX ? n : INVALID;
}

export function decodeFlag(v: unknown): string | null | Invalid {
  if (v === null || v === undefined || v === '') return null;
  return v === 'Y' || v === 'N' ? v : INVALID;
}

export function decodeId(v: unknown): string | null | Invalid {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v !== 'string') return v === null || v === undefined ? null : INVALID;
  if (v === '') return null;
  return usableText(v) ? v : INVALID;
}

function isInstantValue(v: unknown): v is InstantValue {
  return typeof v === 'object' && v !== null && 'instantMs' in v;
}

/** A time as text (CSV, or a Parquet string), as ms from the Parquet reader, or an InstantValue. */
export function decodeTime(v: unknown, kind: TimeKind): number | null | Invalid {
  kind.instant = false;
  if (typeof v === 'string') return v === '' ? null : timeIn(v, 0, v.length, kind);
  if (typeof v === 'number') return Number.isFinite(v) ? v : INVALID;
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? INVALID : v.getTime();
  if (isInstantValue(v) && Number.isFinite(v.instantMs)) {
    kind.instant = true;
    return v.instantMs;
  }
  return INVALID;
}

export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

// Plain decimals ('-12.50', '.2', '3') on a fast path: up to 15 digits the value is an exact
// integer divided by an exact power of ten, one correctly rounded division, so the same double
// as Number() gives, at a third of its cost. Anything else goes to Number(), which alone would
// take '0x1A', ' 12 ' and 'Infinity': a number starts with a digit, sign or point, ends with a
// digit or point, and is not written in hex, octal or binary.
/** The number written in text[start, end), a non-empty range. */
export function numberIn(s: string, start: number, end: number): number | Invalid {
  let i = start;
  let negative = false;
  if (s.charCodeAt(i) === 45) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digitCount = 0;
  let decimals = -1;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digitCount++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) {
      decimals = 0;
    } else {
      return numberFromOtherText(s.slice(start, end));
    }
  }
  if (digitCount === 0 || digitCount > 15) return numberFromOtherText(s.slice(start, end));
  const value = decimals > 0 ? mantissa / POW10[decimals] : mantissa;
  return negative ? -value : value;
}

function numberFromOtherText(s: string): number | Invalid {
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (!((first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46)) return INVALID;
  if (!((last >= 48 && last <= 57) || last === 46)) return INVALID;
  const second = s.charCodeAt(1) | 32; // lower case
  if (first === 48 && (second === 120 || second === 111 || second === 98)) return INVALID;
  const n = Number(s);
  return Number.isFinite(n) ? n : INVALID;
}

function usableText(s: string): boolean {
  if (s.length > ID_MAX_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) return false;
  }
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a proleptic Gregorian date (any year, unlike Date.UTC's 0–99). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  return d <= DAYS_IN_MONTH[m - 1] + (leap ? 1 : 0);
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** 'YYYY-MM-DD HH:MM:SS' (TLC) on a fast path; any ISO 8601 date-time, with or without offset. */
export function timeFromText(s: string, kind: TimeKind): number | Invalid {
  return timeIn(s, 0, s.length, kind);
}

/** The time written in text[start, end), a non-empty range. */
export function timeIn(text: string, start: number, end: number, kind: TimeKind): number | Invalid {
  kind.instant = false;
  const at = start;
  if (
    end - start === 19 &&
    text.charCodeAt(at + 4) === 45 &&
    text.charCodeAt(at + 7) === 45 &&
    text.charCodeAt(at + 13) === 58 &&
    text.charCodeAt(at + 16) === 58
  ) {
    const sep = text.charCodeAt(at + 10);
    const d0 = text.charCodeAt(at) - 48;
    const d1 = text.charCodeAt(at + 1) - 48;
    const d2 = text.charCodeAt(at + 2) - 48;
    const d3 = text.charCodeAt(at + 3) - 48;
    const d5 = text.charCodeAt(at + 5) - 48;
    const d6 = text.charCodeAt(at + 6) - 48;
    const d8 = text.charCodeAt(at + 8) - 48;
    const d9 = text.charCodeAt(at + 9) - 48;
    const d11 = text.charCodeAt(at + 11) - 48;
    const d12 = text.charCodeAt(at + 12) - 48;
    const d14 = text.charCodeAt(at + 14) - 48;
    const d15 = text.charCodeAt(at + 15) - 48;
    const d17 = text.charCodeAt(at + 17) - 48;
    const d18 = text.charCodeAt(at + 18) - 48;
    // every one a digit: a negative one makes the OR negative, so >>> 0 huge
    if (
      (sep === 32 || sep === 84) &&
      ((d0 | d1 | d2 | d3 | d5 | d6 | d8 | d9 | d11 | d12 | d14 | d15 | d17 | d18) >>> 0) <= 15 &&
      d0 <= 9 && d1 <= 9 && d2 <= 9 && d3 <= 9 && d5 <= 9 && d6 <= 9 && d8 <= 9 && d9 <= 9 &&
      d11 <= 9 && d12 <= 9 && d14 <= 9 && d15 <= 9 && d17 <= 9 && d18 <= 9
    ) {
      return wallClockMs(d0 * 1000 + d1 * 100 + d2 * 10 + d3, d5 * 10 + d6, d8 * 10 + d9, d11 * 10 + d12, d14 * 10 + d15, d17 * 10 + d18, 0);
    }
  }
  const s = start === 0 && end === text.length ? text : text.slice(start, end);
  const m = ISO_TIME.exec(s);
  if (!m) return INVALID;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const ms = wallClockMs(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, fraction);
  if (ms === INVALID || !m[8]) return ms;
  kind.instant = true;
  if (m[8] === 'Z' || m[8] === 'z') return ms;
  const sign = m[8][0] === '-' ? -1 : 1;
  const offset = m[8].slice(1).replace(':', '');
  const oh = +offset.slice(0, 2);
  const om = offset.length > 2 ? +offset.slice(2) : 0;
  if (oh > 23 || om > 59) return INVALID;
  return ms - sign * (oh * 60 + om) * 60_000;
}

/**
 * timeIn's fast path on bytes: 'YYYY-MM-DD HH:MM:SS' (or with T) in bytes[start, end), as
 * wall-clock ms, by the same arithmetic; NaN for any other form or an impossible date or time,
 * which sends the row to the string path (timeIn also reads fractions, offsets and other forms).
 */
export function plainTimeIn(b: Uint8Array, at: number, end: number): number {
  if (end - at !== 19 || b[at + 4] !== 45 || b[at + 7] !== 45 || b[at + 13] !== 58 || b[at + 16] !== 58) return NaN;
  const sep = b[at + 10];
  const d0 = b[at] - 48;
  const d1 = b[at + 1] - 48;
  const d2 = b[at + 2] - 48;
  const d3 = b[at + 3] - 48;
  const d5 = b[at + 5] - 48;
  const d6 = b[at + 6] - 48;
  const d8 = b[at + 8] - 48;
  const d9 = b[at + 9] - 48;
  const d11 = b[at + 11] - 48;
  const d12 = b[at + 12] - 48;
  const d14 = b[at + 14] - 48;
  const d15 = b[at + 15] - 48;
  const d17 = b[at + 17] - 48;
  const d18 = b[at + 18] - 48;
  if (
    !(sep === 32 || sep === 84) ||
    ((d0 | d1 | d2 | d3 | d5 | d6 | d8 | d9 | d11 | d12 | d14 | d15 | d17 | d18) >>> 0) > 15 ||
    !(d0 <= 9 && d1 <= 9 && d2 <= 9 && d3 <= 9 && d5 <= 9 && d6 <= 9 && d8 <= 9 && d9 <= 9 &&
      d11 <= 9 && d12 <= 9 && d14 <= 9 && d15 <= 9 && d17 <= 9 && d18 <= 9)
  ) {
    return NaN;
  }
  const ms = wallClockMs(d0 * 1000 + d1 * 100 + d2 * 10 + d3, d5 * 10 + d6, d8 * 10 + d9, d11 * 10 + d12, d14 * 10 + d15, d17 * 10 + d18, 0);
  return ms === INVALID ? NaN : ms;
}

// The last date decoded: rows of a file come mostly in date order, so most times reuse it.
let lastDate = -1;
let lastDays = 0;

function wallClockMs(y: number, mo: number, d: number, h: number, mi: number, sec: number, ms: number): number | Invalid {
  if (h > 23 || mi > 59 || sec > 59) return INVALID;
  const date = (y * 100 + mo) * 100 + d; // unique: month and day have two digits
  if (date !== lastDate) {
    if (!validDate(y, mo, d)) return INVALID;
    lastDate = date;
    lastDays = daysFromCivil(y, mo, d);
  }
  return lastDays * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
}

/** A raw value as a reject reason shows it. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  const text = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `'${cut}'`;
}
