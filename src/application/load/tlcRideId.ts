// A TLC trip record has no id: its ride_id is derived from its content, so that loading a file
// twice, or the CSV and the Parquet edition of the same month, adds each trip once. The content
// is the decoded values (numbers as JavaScript prints them, times as ms), so '2.10' in a CSV and
// 2.1 in a Parquet file give the same id. Two rows equal in every field are one trip.
import { hash } from 'node:crypto';
import type { LoadedRide } from '../../storage/rideLoads.js';

const PREFIX = { 'tlc-yellow': 'tlc-y-', 'tlc-green': 'tlc-g-' } as const;

/** 96 bits of SHA-256: no collision expected among billions of trips. */
const HEX_CHARS = 24;

export function tlcRideId(format: 'tlc-yellow' | 'tlc-green', r: LoadedRide, pickupMs: number, dropoffMs: number): string {
  const key =
    `${r.vendorId ?? ''}|${pickupMs}|${dropoffMs}|${r.passengerCount ?? ''}|${r.tripDistanceMi ?? ''}|` +
    `${r.ratecodeId ?? ''}|${r.storeAndFwdFlag ?? ''}|${r.pickupZoneId ?? ''}|${r.dropoffZoneId ?? ''}|` +
    `${r.paymentType ?? ''}|${r.tripType ?? ''}|${r.fareAmount ?? ''}|${r.extra ?? ''}|${r.mtaTax ?? ''}|` +
    `${r.tipAmount ?? ''}|${r.tollsAmount ?? ''}|${r.ehailFee ?? ''}|${r.improvementSurcharge ?? ''}|` +
    `${r.congestionSurcharge ?? ''}|${r.airportFee ?? ''}|${r.totalAmount ?? ''}`;
  return PREFIX[format] + hash('sha256', key, 'hex').slice(0, HEX_CHARS);
}
