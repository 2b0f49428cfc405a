// Each format's row, validated with zod at the edge. The schema takes a row (a CSV line read in
// place, or a list of values: rowSources.ts) and yields a LoadedRide with its instants, service
// day and, for TLC, its derived id; every column that does not decode becomes an issue whose
// path is the column and whose message is the reject reason.
// One transform over the whole row rather than one zod schema per column: per-column schemas
// cost about 6 µs a row, which alone would spend more than half of the 10 s a million rows may
// take; the transform decodes each column with its decoder (fieldDecoders.ts) and turns each one
// that fails into an issue.
// validate() does not go through zod for a row that decodes: the same decoding runs first without
// it, into one ride object reused from row to row, and only a row that fails is parsed again by
// the schema, for its issues (the reject's reasons). zod's parse of every row (its context, result
// and issue objects) cost a quarter of the validation time of a 1M-row load, and the ride object
// per row a good part of its garbage collection.
import { z } from 'zod';
import type { LoadedRide } from './types.js';
import type { ColumnLayout, ColumnSpec } from './formats.js';
import { EXPECTED, INVALID, REASON_CODE, showValue, type TimeKind } from './fieldDecoders.js';
import { CsvLine, ValuesRow, type RowSource } from './rowSources.js';
import { tlcRideId, writeTlcRideId } from './tlcRideId.js';
import type { IdBytes } from '../../storage/rideRows.js';
import type { ZoneClock } from './zoneClock.js';

export const MILES_TO_KM = 1.609344;

// Pickup and dropoff must fall in the years 1900–2099, as written (a time with an offset: in UTC).
// TLC files hold stray years (2001, 2088, …) that load and get flagged, so the range is wide; but
// a year like 0000 is no ride, and outside the proleptic calendar the zone offsets and the service
// date stop meaning anything (one such row once failed a whole file after reading, issue 10).
export const FIRST_YEAR = 1900;
export const LAST_YEAR = 2099;
const TIME_MIN_MS = Date.UTC(FIRST_YEAR, 0, 1);
const TIME_END_MS = Date.UTC(LAST_YEAR + 1, 0, 1);

// A distance beyond ±10,000,000 km (250 times round the Earth) is no measurement: rejected rather
// than loaded, because near the double maximum the mile-to-km product is Infinity, and far below
// it the detector's squares and sums of features overflow. Real TLC oddities (trip_distance up to
// a few hundred thousand miles) stay well inside and load, for the detector to flag.
export const MAX_DISTANCE_KM = 10_000_000;

export type RowOutcome = { ok: true; ride: LoadedRide } | { ok: false; reasonCode: string; reason: string };

export interface RowValidator {
  /** the row's schema: a new ride per row, every problem an issue */
  schema: z.ZodType<LoadedRide, RowSource>;
  /**
   * The row as a ride, or why not. The ride returned is the validator's own, reused for the next
   * row: valid until the next call (copy it to keep it).
   */
  validate(row: RowSource): RowOutcome;
  /**
   * For a reader that decodes a row's values itself (the TLC byte path, tlcLines.ts): the
   * validator's ride reset (the one validate returns), to set each decoded value in with set().
   */
  begin(): LoadedRide;
  /** The value of a field (its code: fieldCode), exactly as this validator's decoders give it; times as wall clock. */
  set(field: number, value: number | string | null): void;
  /**
   * What validate does once the values are decoded (the times' range and instants, the service
   * day, the distance, the TLC id): true when the ride begun is a ride; false when the row must
   * go through validate, for its reasons.
   */
  complete(): boolean;
}

export interface RowClocks {
  /** the zone of the file's times without offset (TLC: New York; rides-csv: the service time zone) */
  source: ZoneClock;
  /** the zone of service days (the database's, settings.ts) */
  service: ZoneClock;
}

/**
 * A row's values in file order (rowSources.ts). Checked as a whole: z.array(z.unknown()) would
 * parse each value on its own (an object per value, 40% more time for nothing: the decoders
 * check every value).
 */
const RowValues = z.custom<RowSource>((v) => v instanceof CsvLine || v instanceof ValuesRow, 'a row of values');

/** Per row: where the pickup and dropoff times were instants. */
interface RowScratch {
  time: TimeKind;
  pickupInstant: boolean;
  dropoffInstant: boolean;
}

// One decoding step per column, dispatched by a small integer in a switch rather than through a
// closure per field: with 25 setters and 7 decoders behind two call sites, each call site saw
// every closure and V8 could inline none of them; as switches the decoding of a 1M-row TLC file
// took about 1 CPU s less (docs/performance.md, "the reader on a thread of its own").
export const [TIMESTAMP, NUMBER, MONEY, WHOLE, FLAG, ID, OPTIONAL_TEXT] = [0, 1, 2, 3, 4, 5, 6];
// each kind's code, named once: a kind added to ColumnSpec and not here fails to compile
export const KIND_CODES: Record<ColumnSpec['kind'], number> = { timestamp: TIMESTAMP, number: NUMBER, money: MONEY, whole: WHOLE, flag: FLAG, id: ID, optionalText: OPTIONAL_TEXT };
const FIELDS = [
  'rideId', 'taxiId', 'pickup', 'dropoff', 'distanceKm', 'tripDistanceMi', 'vendorId', 'passengerCount', 'ratecodeId',
  'storeAndFwdFlag', 'pickupZoneId', 'dropoffZoneId', 'paymentType', 'tripType', 'fareAmount', 'extra', 'mtaTax',
  'tipAmount', 'tollsAmount', 'ehailFee', 'improvementSurcharge', 'congestionSurcharge', 'airportFee', 'totalAmount',
] as const satisfies readonly ColumnSpec['field'][];
// every field has its code: a field added to ColumnSpec and not here fails to compile
type Uncoded = Exclude<ColumnSpec['field'], (typeof FIELDS)[number]>;
const allCoded: [Uncoded] extends [never] ? true : never = true;
void allCoded;

/** A field's code, for RowValidator.set. */
export function fieldCode(field: ColumnSpec['field']): number {
  return FIELDS.indexOf(field);
}

function decodeValue(row: RowSource, kind: number, position: number, time: TimeKind): unknown {
  switch (kind) {
    case TIMESTAMP:
      return row.time(position, time);
    case NUMBER:
    case MONEY:
      return row.number(position);
    case WHOLE:
      return row.whole(position);
    case FLAG:
      return row.flag(position);
    case ID:
    case OPTIONAL_TEXT:
    default:
      return row.text(position);
  }
}

/** Stores a decoded value in its field (the code is its index in FIELDS). */
function assign(r: LoadedRide, field: number, v: never, s: RowScratch): void {
  switch (field) {
    case 0: r.rideId = v; break;
    case 1: r.taxiId = v; break;
    case 2: r.pickupAtMs = v; s.pickupInstant = s.time.instant; break;
    case 3: r.dropoffAtMs = v; s.dropoffInstant = s.time.instant; break;
    case 4: r.distanceKm = v; break;
    case 5: r.tripDistanceMi = v; break;
    case 6: r.vendorId = v; break;
    case 7: r.passengerCount = v; break;
    case 8: r.ratecodeId = v; break;
    case 9: r.storeAndFwdFlag = v; break;
    case 10: r.pickupZoneId = v; break;
    case 11: r.dropoffZoneId = v; break;
    case 12: r.paymentType = v; break;
    case 13: r.tripType = v; break;
    case 14: r.fareAmount = v; break;
    case 15: r.extra = v; break;
    case 16: r.mtaTax = v; break;
    case 17: r.tipAmount = v; break;
    case 18: r.tollsAmount = v; break;
    case 19: r.ehailFee = v; break;
    case 20: r.improvementSurcharge = v; break;
    case 21: r.congestionSurcharge = v; break;
    case 22: r.airportFee = v; break;
    default: r.totalAmount = v;
  }
}

/**
 * The row schema of a format as laid out in one file.
 * @param ids where a TLC ride's id is written as bytes (the parse worker: RideRows.add takes them
 *   from there), leaving the ride's rideId empty; without, rideId is the id as text
 */
export function rowValidator(layout: ColumnLayout, clocks: RowClocks, ids?: IdBytes): RowValidator {
  const tlc = layout.format === 'tlc-yellow' || layout.format === 'tlc-green' ? layout.format : null;
  const scratch: RowScratch = { time: { instant: false }, pickupInstant: false, dropoffInstant: false };
  const time = scratch.time;
  const steps = layout.columns.map((column, i) => ({
    column,
    position: layout.positions[i],
    kind: KIND_CODES[column.kind],
    field: fieldCode(column.field),
    required: column.valueRequired === true,
  }));
  const pickupStep = steps.find((step) => step.column.field === 'pickup')!;
  const dropoffStep = steps.find((step) => step.column.field === 'dropoff')!;
  const distanceStep = steps.find((step) => step.column.field === (tlc ? 'tripDistanceMi' : 'distanceKm'))!;
  // Decodes a row into `ride`; true when it is a ride. With a context, every problem is added to
  // it as an issue; without, the first problem ends the decoding (validate's first pass).
  const decode = (row: RowSource, ride: LoadedRide, ctx: z.RefinementCtx | null): boolean => {
    let valid = true;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      const value = step.position < 0 ? null : decodeValue(row, step.kind, step.position, time);
      if (value === INVALID || (value === null && step.required)) {
        if (ctx === null) return false;
        ctx.addIssue(issueFor(step.column, step.position < 0 ? null : row.raw(step.position)));
        valid = false;
      } else {
        assign(ride, step.field, value as never, scratch);
      }
    }
    return valid && completeRide(row, ride, ctx);
  };
  // The rest of decode, once every value is in `ride`: `row` is only read for a reason (ctx given).
  const completeRide = (row: RowSource | null, ride: LoadedRide, ctx: z.RefinementCtx | null): boolean => {
    const pickup = ride.pickupAtMs;
    const dropoff = ride.dropoffAtMs;
    if (!(pickup >= TIME_MIN_MS && pickup < TIME_END_MS) || !(dropoff >= TIME_MIN_MS && dropoff < TIME_END_MS)) {
      if (ctx === null) return false;
      for (const step of [pickupStep, dropoffStep]) {
        const ms = step.column.field === 'pickup' ? pickup : dropoff;
        if (ms >= TIME_MIN_MS && ms < TIME_END_MS) continue;
        ctx.addIssue({
          code: 'custom' as const,
          path: [step.column.name],
          message: `${step.column.name} ${showValue(row!.raw(step.position))} is outside the years ${FIRST_YEAR}–${LAST_YEAR} that ridescan accepts`,
          params: { reasonCode: 'date_out_of_range' },
        });
      }
      return false;
    }
    if (!scratch.pickupInstant) ride.pickupAtMs = clocks.source.instantOf(pickup);
    if (!scratch.dropoffInstant) ride.dropoffAtMs = clocks.source.instantOf(dropoff);
    if (!scratch.pickupInstant || !scratch.dropoffInstant) {
      const pickupEarlier = scratch.pickupInstant ? NaN : clocks.source.earlierInstantOf(pickup);
      const dropoffEarlier = scratch.dropoffInstant ? NaN : clocks.source.earlierInstantOf(dropoff);
      if (!Number.isNaN(pickupEarlier) || !Number.isNaN(dropoffEarlier)) readFallBack(ride, pickupEarlier, dropoffEarlier);
    }
    ride.serviceDay = clocks.service.localDay(ride.pickupAtMs);
    if (tlc) ride.distanceKm = ride.tripDistanceMi! * MILES_TO_KM;
    if (!(Math.abs(ride.distanceKm) <= MAX_DISTANCE_KM)) {
      if (ctx === null) return false;
      ctx.addIssue({
        code: 'custom' as const,
        path: [distanceStep.column.name],
        message: `${distanceStep.column.name} ${showValue(row!.raw(distanceStep.position))} is beyond ±${MAX_DISTANCE_KM.toLocaleString('en-US')} km: not a distance a ride can have`,
        params: { reasonCode: 'absurd_distance' },
      });
      return false;
    }
    if (tlc) {
      // the id hashes the wall-clock times, whichever way the file stored them
      const pickupWall = scratch.pickupInstant ? pickup + clocks.source.offsetAt(pickup) : pickup;
      const dropoffWall = scratch.dropoffInstant ? dropoff + clocks.source.offsetAt(dropoff) : dropoff;
      if (ids) writeTlcRideId(tlc, ride, pickupWall, dropoffWall, ids);
      else ride.rideId = tlcRideId(tlc, ride, pickupWall, dropoffWall);
    }
    return true;
  };
  const schema = RowValues.transform((row, ctx): LoadedRide => {
    const ride = emptyRide();
    return decode(row, ride, ctx) ? ride : z.NEVER;
  });
  const ride = emptyRide();
  const accepted: RowOutcome = { ok: true, ride };
  return {
    schema,
    validate(row) {
      // A field the row lacks keeps its default: every field is set again for each row.
      if (decode(row, resetRide(ride), null)) return accepted;
      const parsed = schema.safeParse(row);
      if (parsed.success) return { ok: true, ride: parsed.data }; // not reached: the same decoding failed above
      const issues = parsed.error.issues;
      const first = issues[0] as { params?: { reasonCode?: string } };
      return {
        ok: false,
        reasonCode: first.params?.reasonCode ?? 'invalid_row',
        reason: issues.map((issue) => issue.message).join('; '),
      };
    },
    begin() {
      time.instant = false;
      return resetRide(ride);
    },
    set(field, value) {
      assign(ride, field, value as never, scratch);
    },
    complete() {
      return completeRide(null, ride, null);
    },
  };
}

/**
 * A wall-clock time in the repeated hour of a fall back has two readings an hour apart, and
 * PostgreSQL (and instantOf) take the later. TLC times carry no offset, so that rule alone gives a
 * ride picked up at 01:50 (before the change) and dropped off at 01:10 (after it) -40 minutes, and
 * one from 00:55 to 01:10 75 minutes instead of 15. Of the readings of pickup and dropoff, take
 * the pair with the shortest duration that is not negative: the readings differ by exactly the
 * hour the clocks went back, and a ride is far likelier to be short (TLC's median is about 12
 * minutes) than to include an hour nobody saw. Ties and rides negative under every reading keep
 * PostgreSQL's reading. `…Earlier` is the other reading, or NaN where the time has one.
 */
function readFallBack(ride: LoadedRide, pickupEarlier: number, dropoffEarlier: number): void {
  const pickups = [ride.pickupAtMs, pickupEarlier];
  const dropoffs = [ride.dropoffAtMs, dropoffEarlier];
  let best = ride.dropoffAtMs - ride.pickupAtMs;
  let bestPickup = ride.pickupAtMs;
  let bestDropoff = ride.dropoffAtMs;
  for (const p of pickups) {
    for (const d of dropoffs) {
      if (Number.isNaN(p) || Number.isNaN(d)) continue;
      const duration = d - p;
      if (duration >= 0 && (best < 0 || duration < best)) {
        best = duration;
        bestPickup = p;
        bestDropoff = d;
      }
    }
  }
  ride.pickupAtMs = bestPickup;
  ride.dropoffAtMs = bestDropoff;
}

function issueFor(column: ColumnSpec, raw: unknown) {
  const empty = raw === null || raw === undefined || raw === '';
  return {
    code: 'custom' as const,
    path: [column.name],
    message: empty ? `${column.name} is empty` : `${column.name} ${showValue(raw)} ${EXPECTED[column.kind]}`,
    params: { reasonCode: empty ? 'missing_value' : REASON_CODE[column.kind] },
  };
}

/** A ride's fields set to their defaults (no value, zero times): a new ride, or the reused one back. */
function resetRide(r: LoadedRide): LoadedRide {
  r.rideId = '';
  r.taxiId = null;
  r.pickupAtMs = 0;
  r.dropoffAtMs = 0;
  r.serviceDay = 0;
  r.distanceKm = 0;
  r.tripDistanceMi = null;
  r.vendorId = null;
  r.passengerCount = null;
  r.ratecodeId = null;
  r.storeAndFwdFlag = null;
  r.pickupZoneId = null;
  r.dropoffZoneId = null;
  r.paymentType = null;
  r.tripType = null;
  r.fareAmount = null;
  r.extra = null;
  r.mtaTax = null;
  r.tipAmount = null;
  r.tollsAmount = null;
  r.ehailFee = null;
  r.improvementSurcharge = null;
  r.congestionSurcharge = null;
  r.airportFee = null;
  r.totalAmount = null;
  return r;
}

/** Every field present from the start, so that all rides share one object shape. */
function emptyRide(): LoadedRide {
  return resetRide({} as LoadedRide);
}
