// Rides that cannot be real are flagged by rule, before and apart from any clustering: their
// features would only distort the scaler and the density estimate.
import { reasonCode } from './outlierReasons.js';

const NON_FINITE = reasonCode('non_finite');
const INVALID_DURATION = reasonCode('invalid_duration');
const INVALID_DISTANCE = reasonCode('invalid_distance');

/** Per ride: 0 when it may be valid, else the code of the rule it breaks (first that applies). */
export function applyValidityRules(distanceKm: Float64Array, durationMin: Float64Array): Uint8Array {
  const codes = new Uint8Array(distanceKm.length);
  for (let i = 0; i < distanceKm.length; i++) {
    const d = distanceKm[i];
    const t = durationMin[i];
    if (!Number.isFinite(d) || !Number.isFinite(t)) codes[i] = NON_FINITE;
    else if (t <= 0) codes[i] = INVALID_DURATION;
    else if (d < 0) codes[i] = INVALID_DISTANCE;
  }
  return codes;
}
