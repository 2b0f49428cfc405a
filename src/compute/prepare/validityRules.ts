// Rides that cannot be real are flagged by rule, before and apart from any clustering: their
// features would only distort the scaler and the density estimate.
import { reasonCode } from '../outlierReasons.js';

const NON_FINITE = reasonCode('non_finite');
const INVALID_DURATION = reasonCode('invalid_duration');
const INVALID_DISTANCE = reasonCode('invalid_distance');
const ZERO_DISTANCE = reasonCode('zero_distance');
const SPEED_LIMIT = reasonCode('speed_limit');
const DURATION_LIMIT = reasonCode('duration_limit');

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
}

/**
 * Defaults, from the TLC sample of January 2021 (test/fixtures/tlc): 23 of its 22,792 rides imply more
 * than 150 km/h (up to 17,574 km/h: clock or odometer errors); 59 last more than 4 h, nearly all
 * 11–24 h for a few km (a meter left running); 106 of its 353 zero-distance rides last more than 10 min.
 */
export const DEFAULT_RULE_LIMITS: Readonly<RuleLimits> = Object.freeze({
  maxSpeedKmh: 150,
  maxDurationMin: 240,
  longTripKm: 100,
  zeroDistanceMaxMin: 10,
});

/** Per ride: 0 when it may be valid, else the code of the rule it breaks (first that applies). */
export function applyValidityRules(
  distanceKm: Float64Array,
  durationMin: Float64Array,
  limits: Partial<RuleLimits> = {},
): Uint8Array {
  const { maxSpeedKmh, maxDurationMin, longTripKm, zeroDistanceMaxMin } = resolveRuleLimits(limits);
  // speed > limit  <=>  distance > limit * duration / 60 (duration > 0): no division per ride
  const kmPerMinute = maxSpeedKmh / 60;
  const codes = new Uint8Array(distanceKm.length);
  for (let i = 0; i < distanceKm.length; i++) {
    const d = distanceKm[i];
    const t = durationMin[i];
    if (!Number.isFinite(d) || !Number.isFinite(t)) codes[i] = NON_FINITE;
    else if (t <= 0) codes[i] = INVALID_DURATION;
    else if (d < 0) codes[i] = INVALID_DISTANCE;
    else if (d === 0 && t > zeroDistanceMaxMin) codes[i] = ZERO_DISTANCE;
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
