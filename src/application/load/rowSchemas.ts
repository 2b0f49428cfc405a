// Each format's row, validated with zod at the edge. The schema takes a row's values in file
// order (CSV strings, or Parquet values) and yields a LoadedRide; every column that does not
// decode becomes an issue whose path is the column and whose message is the reject reason.
// One transform over the whole row rather than one zod schema per column: per-column schemas
// cost about 6 µs a row, which alone would spend most of the 10 s a million rows may take.
import { z } from 'zod';
import type { LoadedRide } from '../../storage/rideLoads.js';
import type { ColumnLayout, ColumnSpec } from './formats.js';
import {
  decodeFlag,
  decodeId,
  decodeNumber,
  decodeTime,
  decodeWhole,
  EXPECTED,
  INVALID,
  REASON_CODE,
  showValue,
  type TimeValue,
} from './fieldDecoders.js';
import { tlcRideId } from './tlcRideId.js';

export const MILES_TO_KM = 1.609344;

export type RowOutcome = { ok: true; ride: LoadedRide } | { ok: false; reasonCode: string; reason: string };

export interface RowValidator {
  schema: z.ZodType<LoadedRide>;
  validate(values: readonly unknown[]): RowOutcome;
}

/** The row schema of a format as laid out in one file. */
export function rowValidator(layout: ColumnLayout): RowValidator {
  const tlc = layout.format === 'tlc-yellow' || layout.format === 'tlc-green' ? layout.format : null;
  const columns = layout.columns;
  const positions = layout.positions;
  const schema = z.array(z.unknown()).transform((values, ctx): LoadedRide => {
    const ride = emptyRide();
    let pickup: TimeValue | null = null;
    let dropoff: TimeValue | null = null;
    const bad = (column: ColumnSpec, raw: unknown) =>
      ctx.addIssue({
        code: 'custom',
        path: [column.name],
        message: raw === null || raw === undefined || raw === '' ? `${column.name} is empty` : `${column.name} ${showValue(raw)} ${EXPECTED[column.kind]}`,
        params: { reasonCode: raw === null || raw === undefined || raw === '' ? 'missing_value' : REASON_CODE[column.kind] },
      });
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i];
      const raw = positions[i] < 0 ? null : values[positions[i]];
      let value: unknown;
      switch (column.kind) {
        case 'timestamp':
          value = decodeTime(raw);
          break;
        case 'number':
        case 'money':
          value = decodeNumber(raw);
          break;
        case 'whole':
          value = decodeWhole(raw);
          break;
        case 'flag':
          value = decodeFlag(raw);
          break;
        case 'id':
        case 'optionalText':
          value = decodeId(raw);
          break;
      }
      if (value === INVALID || (value === null && column.required && column.kind !== 'optionalText')) {
        bad(column, raw);
        continue;
      }
      if (column.field === 'pickup') pickup = value as TimeValue | null;
      else if (column.field === 'dropoff') dropoff = value as TimeValue | null;
      else (ride as unknown as Record<string, unknown>)[column.field] = value;
    }
    if (pickup === null || dropoff === null) return z.NEVER; // reported above
    if (pickup.instant) ride.pickupUtcMs = pickup.ms;
    else ride.pickupLocalMs = pickup.ms;
    if (dropoff.instant) ride.dropoffUtcMs = dropoff.ms;
    else ride.dropoffLocalMs = dropoff.ms;
    if (tlc) {
      ride.distanceKm = ride.tripDistanceMi! * MILES_TO_KM;
      ride.rideId = tlcRideId(tlc, ride, pickup.ms, dropoff.ms);
    }
    return ride;
  });
  return {
    schema,
    validate(values) {
      const parsed = schema.safeParse(values);
      if (parsed.success) return { ok: true, ride: parsed.data };
      const issues = parsed.error.issues;
      const first = issues[0] as { params?: { reasonCode?: string } };
      return {
        ok: false,
        reasonCode: first.params?.reasonCode ?? 'invalid_row',
        reason: issues.map((issue) => issue.message).join('; '),
      };
    },
  };
}

/** Every field present from the start, so that all rides share one object shape. */
function emptyRide(): LoadedRide {
  return {
    rideId: '',
    taxiId: null,
    pickupLocalMs: null,
    dropoffLocalMs: null,
    pickupUtcMs: null,
    dropoffUtcMs: null,
    distanceKm: 0,
    tripDistanceMi: null,
    vendorId: null,
    passengerCount: null,
    ratecodeId: null,
    storeAndFwdFlag: null,
    pickupZoneId: null,
    dropoffZoneId: null,
    paymentType: null,
    tripType: null,
    fareAmount: null,
    extra: null,
    mtaTax: null,
    tipAmount: null,
    tollsAmount: null,
    ehailFee: null,
    improvementSurcharge: null,
    congestionSurcharge: null,
    airportFee: null,
    totalAmount: null,
  };
}
