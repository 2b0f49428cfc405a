import { describe, expect, it } from 'vitest';
import { INJECTED_KINDS, injectAnomalies, plausibleTrips, type InjectionRides } from '../../../src/compute/simulation/injectAnomalies.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

/** n rides: distances 0.2–12 km, durations 1–45 min, fares ~ distance, a few implausible ones mixed in. */
function rides(n: number, seed = 7): InjectionRides {
  const random = new SeededRandom(seed);
  const r: InjectionRides = {
    distanceKm: new Float64Array(n),
    durationMin: new Float64Array(n),
    fareAmount: new Float64Array(n),
    paymentType: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    r.distanceKm[i] = random.uniform(0.2, 12);
    r.durationMin[i] = random.uniform(1, 45);
    r.fareAmount[i] = 2.5 + 1.5 * r.distanceKm[i];
    r.paymentType[i] = 1 + random.int(2);
  }
  return r;
}

describe('plausibleTrips', () => {
  it('keeps rides the rules pass, of at least 0.5 km and 2 min, with a fare that is not negative or voided', () => {
    const r: InjectionRides = {
      //                               ok   short  brief  speed  voided negfare unknown fare
      distanceKm: Float64Array.from([3, 0.4, 3, 30, 3, 3, 3]),
      durationMin: Float64Array.from([10, 10, 1.5, 5, 10, 10, 10]),
      fareAmount: Float64Array.from([12, 5, 12, 60, 12, -12, NaN]),
      paymentType: Uint8Array.from([1, 1, 1, 1, 6, 4, 0]),
    };
    // 30 km in 5 min is 360 km/h: the speed rule flags it
    expect(Array.from(plausibleTrips(r))).toEqual([1, 0, 0, 0, 0, 0, 1]);
    // the detector's rule limits decide: a looser speed limit lets the fast one through
    expect(plausibleTrips(r, { maxSpeedKmh: 400 })[3]).toBe(1);
  });
});

describe('injectAnomalies', () => {
  const day = rides(5_000);

  it('gives round(share × rides) plausible trips to each kind, none twice, the same for the same seed', () => {
    const a = injectAnomalies(day, { share: 0.01, seed: 3 });
    const b = injectAnomalies(day, { share: 0.01, seed: 3 });
    expect(a).toEqual(b);
    expect(a.index.length).toBe(150);
    for (let k = 0; k < INJECTED_KINDS.length; k++) expect(a.kind.filter((x) => x === k).length).toBe(50);
    expect(new Set(a.index).size).toBe(a.index.length);
    // ascending indices
    for (let k = 1; k < a.index.length; k++) expect(a.index[k]).toBeGreaterThan(a.index[k - 1]);
    const ok = plausibleTrips(day);
    for (const i of a.index) expect(ok[i]).toBe(1);
    expect(a.eligible).toBe(ok.reduce((s, x) => s + x, 0));

    const other = injectAnomalies(day, { share: 0.01, seed: 4 });
    expect(Array.from(other.index)).not.toEqual(Array.from(a.index));
  });

  it('transforms each kind as specified and leaves the input (fares included) untouched', () => {
    const before = { d: Float64Array.from(day.distanceKm), t: Float64Array.from(day.durationMin), f: Float64Array.from(day.fareAmount) };
    const inj = injectAnomalies(day, { share: 0.02, seed: 11 });
    expect(day.distanceKm).toEqual(before.d);
    expect(day.durationMin).toEqual(before.t);
    expect(day.fareAmount).toEqual(before.f);
    for (let k = 0; k < inj.index.length; k++) {
      const d0 = day.distanceKm[inj.index[k]];
      const t0 = day.durationMin[inj.index[k]];
      const dRatio = inj.distanceKm[k] / d0;
      const tRatio = inj.durationMin[k] / t0;
      switch (INJECTED_KINDS[inj.kind[k]]) {
        case 'meter_running':
          expect(dRatio).toBe(1);
          expect(tRatio).toBeGreaterThanOrEqual(4);
          expect(tRatio).toBeLessThan(8);
          break;
        case 'odometer_jump':
          expect(tRatio).toBe(1);
          expect(dRatio).toBeGreaterThanOrEqual(4);
          expect(dRatio).toBeLessThan(8);
          break;
        case 'long_haul':
          expect(dRatio).toBeGreaterThanOrEqual(2);
          expect(dRatio).toBeLessThan(3);
          // the speed stays within ±10% of the trip's own
          expect(tRatio / dRatio).toBeGreaterThanOrEqual(0.9);
          expect(tRatio / dRatio).toBeLessThan(1.1);
          break;
      }
    }
    // the factors are spread over their ranges, not one value
    const meter = Array.from(inj.index.keys()).filter((k) => inj.kind[k] === 0).map((k) => inj.durationMin[k] / day.durationMin[inj.index[k]]);
    expect(Math.max(...meter) - Math.min(...meter)).toBeGreaterThan(2);
  });

  it('refuses a share the plausible trips cannot fill, and a share of more than a third per kind', () => {
    const few = rides(100);
    few.distanceKm.fill(0.3, 0, 90); // 90 of 100 too short
    expect(() => injectAnomalies(few, { share: 0.05, seed: 1 })).toThrow(/15 injections \(5 per kind\) need more plausible trips than the \d+ of 100 rides/);
    expect(() => injectAnomalies(day, { share: 0.4, seed: 1 })).toThrow(RangeError);
    expect(injectAnomalies(day, { share: 0, seed: 1 }).index.length).toBe(0);
  });
});
