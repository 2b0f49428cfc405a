// Rides that cannot be real are flagged by rule, before and apart from any clustering: their
// features would only distort the scaler and the density estimate.
import { reasonCode } from '../outlierReasons.js';

const NON_FINITE = reasonCode('non_finite');
const INVALID_DURATION = reasonCode('invalid_duration');
const INVALID_DISTANCE = reasonCode('invalid_distance');
const ZERO_DISTANCE = reasonCode('zero_distance');
const SPEED_LIMIT = reasonCode('speed_limit');
const DURATION_LIMIT = reasonCode('duration_limit');
const NO_TRIP = reasonCode('no_trip');
const VOID_FARE = reasonCode('void_fare');

/** TLC payment_type 6: a voided trip. */
export const PAYMENT_VOIDED = 6;

/** The limits of the rules that come after the basic ones (non-finite, duration ≤ 0, distance < 0). */
export interface RuleLimits {
  /** implied speed (distance / duration) above this is not a taxi ride, km/h */
  maxSpeedKmh: number;
  /** a ride longer than this, in minutes ... */
  maxDurationMin: number;
  /** ... is flagged when its distance is under this many km (a long trip out of town may take that long) */
  longTripKm: number;
  /** a ride of exactly zero distance lasting longer than this many minutes */
  zeroDistanceMaxMin: number;
  /** a ride of zero distance, or (in records with fares) shorter than this many km, lasting at most zeroDistanceMaxMin is a no-trip record, km */
  noTripMaxKm: number;
}

/** What some sources carry beyond distance and duration (TLC trips); NaN where a ride has none. */
export interface FareColumns {
  fareAmount?: Float64Array;
  paymentType?: Float64Array;
}

/**
 * Defaults, from the TLC sample of January 2021 (test/fixtures/tlc): 23 of its 22,792 rides imply more
 * than 150 km/h (up to 17,574 km/h: clock or odometer errors); 59 last more than 4 h, nearly all
 * 11–24 h for a few km (a meter left running); 106 of its 353 zero-distance rides last more than 10 min.
 * The other 247 zero-distance rides, and 75 more under 100 m (TLC's 0.01–0.06 mi), last a few
 * seconds to 10 min: a meter started and stopped without a trip. They are no_trip, not noise: on
 * real days they used to top the score order (the #1 outlier of 145 of 153 days of 2019 was under
 * 100 m), which hid the rides worth a look.
 */
export const DEFAULT_RULE_LIMITS: Readonly<RuleLimits> = Object.freeze({
  maxSpeedKmh: 150,
  maxDurationMin: 240,
  longTripKm: 100,
  zeroDistanceMaxMin: 10,
  noTripMaxKm: 0.1,
});

/**
 * Per ride: 0 when it may be valid, else the code of the rule it breaks (first that applies).
 * Impossible values first, then a voided charge (negative fare, payment type 6: TLC publishes a
 * reversal as a second record of the trip with the amounts negated, so its distance and duration
 * look like a ride's), then the records that are not trips, then the limits.
 */
export function applyValidityRules(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  limits: Partial<RuleLimits> = {},
  fares: FareColumns = {},
): Uint8Array {
  const { maxSpeedKmh, maxDurationMin, longTripKm, zeroDistanceMaxMin, noTripMaxKm } = resolveRuleLimits(limits);
  const fare = fares.fareAmount;
  const payment = fares.paymentType;
  // Under noTripMaxKm is a no-trip only in a taximeter's records (those that carry fares): TLC
  // rounds to 0.01 mi, and 0.01–0.06 mi in seconds is a meter started and stopped. Other sources
  // keep such rides in the clustering: the book's simulated day has four rides of 20–80 m that it
  // clusters as normal, and its labels are the oracle.
  const metered = fare !== undefined;
  // speed > limit  <=>  distance > limit * duration / 60 (duration > 0): no division per ride
  const kmPerMinute = maxSpeedKmh / 60;
  const codes = new Uint8Array(distanceKm.length);
  for (let i = 0; i < distanceKm.length; i++) {
    const d = distanceKm[i];
    const t = durationMin[i];
    if (!Number.isFinite(d) || !Number.isFinite(t)) codes[i] = NON_FINITE;
    else if (t <= 0) codes[i] = INVALID_DURATION;
    else if (d < 0) codes[i] = INVALID_DISTANCE;
    else if ((fare !== undefined && fare[i] < 0) || (payment !== undefined && payment[i] === PAYMENT_VOIDED)) codes[i] = VOID_FARE;
    else if (d === 0 && t > zeroDistanceMaxMin) codes[i] = ZERO_DISTANCE;
    else if ((d === 0 || (metered && d < noTripMaxKm)) && t <= zeroDistanceMaxMin) codes[i] = NO_TRIP;
    else if (d > kmPerMinute * t) codes[i] = SPEED_LIMIT;
    else if (t > maxDurationMin && d < longTripKm) codes[i] = DURATION_LIMIT;
  }
  return codes;
}

/** The limits in force: the defaults with the given ones on top, checked. */
export function resolveRuleLimits(limits: Partial<RuleLimits> = {}): RuleLimits {
  const resolved = { ...DEFAULT_RULE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!(typeof value === 'number' && value >= 0 && !Number.isNaN(value))) throw new RangeError(`rule limit ${name} must be a number >= 0, got ${value}`);
  }
  return resolved;
}
