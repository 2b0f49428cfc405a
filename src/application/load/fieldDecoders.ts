// Decoders of one raw value each: a CSV field (a string) or a Parquet value (number, bigint,
// string, null). They return the typed value, null for an empty one, or INVALID; rowSchemas.ts
// turns INVALID into a zod issue that names the column. Written for the hot path: a 1M-row file
// runs them 20M times, so no regular expressions or allocations where a character loop will do.
import type { FieldKind } from './formats.js';

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** A decoded time: ms since 1970, of the wall clock (read as if UTC) or, with an offset, the instant. */
export interface TimeValue {
  ms: number;
  instant: boolean;
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
  if (typeof v === 'string') return v === '' ? null : numberFromText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : INVALID;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return null;
  return INVALID;
}

export function decodeWhole(v: unknown): number | null | Invalid {
  const n = decodeNumber(v);
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

/** An instant from a Parquet column stored as adjusted to UTC (parquetRows.ts). */
export function isTimeValue(v: unknown): v is TimeValue {
  return typeof v === 'object' && v !== null && 'instant' in v && 'ms' in v;
}

/** A time as text (CSV, or a Parquet string) or as ms already decoded by the Parquet reader. */
export function decodeTime(v: unknown): TimeValue | null | Invalid {
  if (typeof v === 'string') return v === '' ? null : timeFromText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? { ms: v, instant: false } : INVALID;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? INVALID : { ms: v.getTime(), instant: false };
  if (isTimeValue(v)) return Number.isFinite(v.ms) ? v : INVALID;
  if (v === null || v === undefined) return null;
  return INVALID;
}

// Digits, sign, point and exponent only: Number() alone would take '0x1A', 'Infinity' and ' 12 '.
function numberFromText(s: string): number | Invalid {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) return INVALID;
  }
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

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** 'YYYY-MM-DD HH:MM:SS' (TLC) on a fast path; any ISO 8601 date-time, with or without offset. */
export function timeFromText(s: string): TimeValue | Invalid {
  if (s.length === 19 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    const sep = s.charCodeAt(10);
    if (sep === 32 || sep === 84) {
      const y = digits(s, 0, 4);
      const mo = digits(s, 5, 2);
      const d = digits(s, 8, 2);
      const h = digits(s, 11, 2);
      const mi = digits(s, 14, 2);
      const sec = digits(s, 17, 2);
      if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return INVALID;
      return wallClock(y, mo, d, h, mi, sec, 0);
    }
  }
  const m = ISO_TIME.exec(s);
  if (!m) return INVALID;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const time = wallClock(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, fraction);
  if (time === INVALID || !m[8]) return time;
  if (m[8] === 'Z' || m[8] === 'z') return { ms: time.ms, instant: true };
  const sign = m[8][0] === '-' ? -1 : 1;
  const offset = m[8].slice(1).replace(':', '');
  const oh = +offset.slice(0, 2);
  const om = offset.length > 2 ? +offset.slice(2) : 0;
  if (oh > 23 || om > 59) return INVALID;
  return { ms: time.ms - sign * (oh * 60 + om) * 60_000, instant: true };
}

function wallClock(y: number, mo: number, d: number, h: number, mi: number, sec: number, ms: number): TimeValue | Invalid {
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return INVALID;
  return { ms: daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms, instant: false };
}

/** A raw value as a reject reason shows it. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  const text = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v);
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return `'${cut}'`;
}
