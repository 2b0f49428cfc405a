// The ride file formats ridescan reads, their columns, and which format a header belongs to.
import type { RideFormat } from './types.js';

export type { RideFormat };
export const RIDE_FORMATS: readonly RideFormat[] = ['rides-csv', 'tlc-yellow', 'tlc-green'];
export type RequestedFormat = RideFormat | 'auto';

/** TLC trip records give New York wall-clock times without an offset. */
export const TLC_TIME_ZONE = 'America/New_York';

/** How a column's raw value is decoded (fieldDecoders.ts). */
export type FieldKind = 'id' | 'optionalText' | 'timestamp' | 'number' | 'whole' | 'money' | 'flag';

/** What a decoded TLC row holds besides the ride's times and distance. */
export type TlcField =
  | 'vendorId'
  | 'passengerCount'
  | 'ratecodeId'
  | 'storeAndFwdFlag'
  | 'pickupZoneId'
  | 'dropoffZoneId'
  | 'paymentType'
  | 'tripType'
  | 'fareAmount'
  | 'extra'
  | 'mtaTax'
  | 'tipAmount'
  | 'tollsAmount'
  | 'ehailFee'
  | 'improvementSurcharge'
  | 'congestionSurcharge'
  | 'airportFee'
  | 'totalAmount';

export interface ColumnSpec {
  /** the column's name as published (headers are matched without regard to case) */
  name: string;
  field: TlcField | 'pickup' | 'dropoff' | 'tripDistanceMi' | 'rideId' | 'taxiId' | 'distanceKm';
  kind: FieldKind;
  /** a header without it is not this format */
  required: boolean;
  /** a row with it empty is rejected (a ride needs its times, distance and id; a TLC trip
   * without, say, its zone ids is still a ride) */
  valueRequired?: boolean;
}

const tlcCommon = (prefix: 'tpep' | 'lpep'): ColumnSpec[] => [
  { name: 'VendorID', field: 'vendorId', kind: 'whole', required: false },
  { name: `${prefix}_pickup_datetime`, field: 'pickup', kind: 'timestamp', required: true, valueRequired: true },
  { name: `${prefix}_dropoff_datetime`, field: 'dropoff', kind: 'timestamp', required: true, valueRequired: true },
  { name: 'passenger_count', field: 'passengerCount', kind: 'whole', required: false },
  { name: 'trip_distance', field: 'tripDistanceMi', kind: 'number', required: true, valueRequired: true },
  { name: 'RatecodeID', field: 'ratecodeId', kind: 'whole', required: false },
  { name: 'store_and_fwd_flag', field: 'storeAndFwdFlag', kind: 'flag', required: false },
  { name: 'PULocationID', field: 'pickupZoneId', kind: 'whole', required: true },
  { name: 'DOLocationID', field: 'dropoffZoneId', kind: 'whole', required: true },
  { name: 'payment_type', field: 'paymentType', kind: 'whole', required: false },
  { name: 'fare_amount', field: 'fareAmount', kind: 'money', required: false },
  { name: 'extra', field: 'extra', kind: 'money', required: false },
  { name: 'mta_tax', field: 'mtaTax', kind: 'money', required: false },
  { name: 'tip_amount', field: 'tipAmount', kind: 'money', required: false },
  { name: 'tolls_amount', field: 'tollsAmount', kind: 'money', required: false },
  { name: 'improvement_surcharge', field: 'improvementSurcharge', kind: 'money', required: false },
  { name: 'total_amount', field: 'totalAmount', kind: 'money', required: false },
  { name: 'congestion_surcharge', field: 'congestionSurcharge', kind: 'money', required: false },
];

/** Columns per format. Columns a file has beyond these (e.g. cbd_congestion_fee) are ignored. */
export const FORMAT_COLUMNS: Record<RideFormat, readonly ColumnSpec[]> = {
  'rides-csv': [
    { name: 'ride_id', field: 'rideId', kind: 'id', required: true, valueRequired: true },
    { name: 'taxi_id', field: 'taxiId', kind: 'optionalText', required: true },
    { name: 'pickup_at', field: 'pickup', kind: 'timestamp', required: true, valueRequired: true },
    { name: 'dropoff_at', field: 'dropoff', kind: 'timestamp', required: true, valueRequired: true },
    { name: 'distance_km', field: 'distanceKm', kind: 'number', required: true, valueRequired: true },
  ],
  'tlc-yellow': [...tlcCommon('tpep'), { name: 'airport_fee', field: 'airportFee', kind: 'money', required: false }],
  'tlc-green': [
    ...tlcCommon('lpep'),
    { name: 'ehail_fee', field: 'ehailFee', kind: 'money', required: false },
    { name: 'trip_type', field: 'tripType', kind: 'whole', required: false },
  ],
};

/** A format's columns as found in one file: where each one is, or -1 when the file lacks it. */
export interface ColumnLayout {
  format: RideFormat;
  columns: readonly ColumnSpec[];
  /** index in the file's row of each of `columns`, -1 when absent */
  positions: readonly number[];
  /** how many values a row of the file has */
  width: number;
}

/** The format's layout in a file with these column names, or the required columns it lacks. */
export function layoutFor(format: RideFormat, names: readonly string[]): ColumnLayout | { missing: string[] } {
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    if (!index.has(key)) index.set(key, i);
  });
  const columns = FORMAT_COLUMNS[format];
  const positions = columns.map((c) => index.get(c.name.toLowerCase()) ?? -1);
  const missing = columns.filter((c, i) => c.required && positions[i] < 0).map((c) => c.name);
  if (missing.length > 0) return { missing };
  return { format, columns, positions, width: names.length };
}

/** The first format whose required columns the names hold, TLC first (they are the stricter). */
export function detectFormat(names: readonly string[]): ColumnLayout | undefined {
  for (const format of ['tlc-yellow', 'tlc-green', 'rides-csv'] as const) {
    const layout = layoutFor(format, names);
    if ('positions' in layout) return layout;
  }
  return undefined;
}

export function describeFormats(): string {
  return RIDE_FORMATS.map((f) => {
    const columns = FORMAT_COLUMNS[f];
    const required = columns.filter((c) => c.required).map((c) => c.name);
    return `${f} (${required.join(', ')}${required.length < columns.length ? ', …' : ''})`;
  }).join('; ');
}
