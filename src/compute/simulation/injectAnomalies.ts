// Known anomalies put into real rides, for `evaluate --scenario tlc`: a seeded choice of plausible
// trips and what each becomes. Pure: the caller reads the rides and writes the new values back.
//
// Each kind is a fault the operations team wants caught, made out of a real trip so that the rest
// of the day (and every other ride) stays as it was. The fare stays as charged: a meter left
// running or a jumping odometer changes the record, not what the passenger paid.
import { applyValidityRules, type RuleLimits } from '../prepare/validityRules.js';
import { SeededRandom } from './seededRandom.js';

export const INJECTED_KINDS = [
  'meter_running', // duration × U(4, 8), distance kept: the meter ran on after the trip
  'odometer_jump', // distance × U(4, 8), duration kept: the recorded distance jumped
  'long_haul', // distance × f, duration × f·U(0.9, 1.1), f ~ U(2, 3): the same trip by a far longer route at a normal speed
] as const;

export type InjectedKind = (typeof INJECTED_KINDS)[number];

/** A trip is only worth injecting into when it is plainly one: these and the validity rules. */
export const PLAUSIBLE_TRIP = Object.freeze({ minDistanceKm: 0.5, minDurationMin: 2 });

export interface InjectionRides {
  distanceKm: Float64Array;
  durationMin: Float64Array;
  /** NaN where unknown (not a TLC ride) */
  fareAmount: Float64Array;
  /** 0 where unknown */
  paymentType: Uint8Array;
}

export interface Injection {
  /** indices into the rides, ascending */
  index: Uint32Array;
  /** position in INJECTED_KINDS, per chosen ride */
  kind: Uint8Array;
  /** the new values, per chosen ride */
  distanceKm: Float64Array;
  durationMin: Float64Array;
  /** rides that were plausible trips, the pool the choice was made from */
  eligible: number;
}

/** TLC payment type 6: a voided trip (the void_fare rule) */
const VOIDED_PAYMENT = 6;

/**
 * 1 for rides that are plainly trips: the validity rules pass them, at least 0.5 km and 2 min, and
 * the fare is not negative or voided (those are the void_fare rule's, which may not be in the rules
 * this build has). An anomaly made from a ride the rules already flag would be counted as caught for
 * the wrong reason.
 */
export function plausibleTrips(rides: InjectionRides, limits: Partial<RuleLimits> = {}): Uint8Array {
  const codes = applyValidityRules(rides.distanceKm, rides.durationMin, limits);
  const ok = new Uint8Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    ok[i] = Number(
      codes[i] === 0 &&
        rides.distanceKm[i] >= PLAUSIBLE_TRIP.minDistanceKm &&
        rides.durationMin[i] >= PLAUSIBLE_TRIP.minDurationMin &&
        !(rides.fareAmount[i] < 0) &&
        rides.paymentType[i] !== VOIDED_PAYMENT,
    );
  }
  return ok;
}

export interface InjectOptions {
  /** share of all rides given each kind, e.g. 0.01 */
  share: number;
  seed: number;
  limits?: Partial<RuleLimits>;
}

/** How many rides of `rides` each kind gets at a share. */
export function injectedPerKind(rides: number, share: number): number {
  return Math.round(rides * share);
}

/**
 * Chooses round(share × rides) rides per kind among the plausible trips, each ride at most once,
 * and computes their new distance and duration. The same rides in the same order and the same seed
 * give the same injection. Throws when there are not enough plausible trips for the share.
 */
export function injectAnomalies(rides: InjectionRides, options: InjectOptions): Injection {
  const n = rides.distanceKm.length;
  if (rides.durationMin.length !== n || rides.fareAmount.length !== n || rides.paymentType.length !== n) {
    throw new RangeError('ride arrays differ in length');
  }
  if (!(options.share >= 0 && options.share * INJECTED_KINDS.length <= 1)) throw new RangeError(`share ${options.share} must be within [0, 1/${INJECTED_KINDS.length}]`);
  const perKind = injectedPerKind(n, options.share);
  const ok = plausibleTrips(rides, options.limits);
  const pool: number[] = [];
  for (let i = 0; i < n; i++) if (ok[i]) pool.push(i);
  const total = perKind * INJECTED_KINDS.length;
  if (total > pool.length) {
    throw new RangeError(`${total} injections (${perKind} per kind) need more plausible trips than the ${pool.length} of ${n} rides`);
  }
  const random = new SeededRandom(options.seed);
  // partial Fisher–Yates: the first `total` places are a uniform sample without repeats
  for (let k = 0; k < total; k++) {
    const j = k + random.int(pool.length - k);
    [pool[k], pool[j]] = [pool[j], pool[k]];
  }
  const chosen = pool.slice(0, total).map((index, k) => ({ index, kind: Math.floor(k / perKind) }));
  chosen.sort((a, b) => a.index - b.index);
  const out: Injection = {
    index: new Uint32Array(total),
    kind: new Uint8Array(total),
    distanceKm: new Float64Array(total),
    durationMin: new Float64Array(total),
    eligible: pool.length,
  };
  // the draws follow the sorted order, so each ride's factors do not depend on how the sample was shuffled
  chosen.forEach(({ index, kind }, k) => {
    const [distance, duration] = transform(INJECTED_KINDS[kind], rides.distanceKm[index], rides.durationMin[index], random);
    out.index[k] = index;
    out.kind[k] = kind;
    out.distanceKm[k] = distance;
    out.durationMin[k] = duration;
  });
  return out;
}

/** One ride's new [distance km, duration min] for a kind. */
export function transform(kind: InjectedKind, distanceKm: number, durationMin: number, random: SeededRandom): [number, number] {
  switch (kind) {
    case 'meter_running':
      return [distanceKm, durationMin * random.uniform(4, 8)];
    case 'odometer_jump':
      return [distanceKm * random.uniform(4, 8), durationMin];
    case 'long_haul': {
      const f = random.uniform(2, 3);
      return [distanceKm * f, durationMin * f * random.uniform(0.9, 1.1)];
    }
  }
}
