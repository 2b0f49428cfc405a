import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../src/compute/context/baseline.js';
import { contextFeatures } from '../../../src/compute/context/contextFeatures.js';
import { dayPairMoments } from '../../../src/compute/context/pairMoments.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

// Zones 1–6 on a line (zone z at z km), trips at 20 km/h ± 10%, 3 km/h faster from 22:00 to 6:00.
const AREAS = new Map(Array.from({ length: 6 }, (_, z) => [z + 1, 'Borough'] as [number, string]));
function rides(count: number, seed: number, speedFactor: number) {
  const random = new SeededRandom(seed);
  const pickup = new Int16Array(count);
  const dropoff = new Int16Array(count);
  const distanceKm = new Float64Array(count);
  const durationMin = new Float64Array(count);
  const hour = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    pickup[i] = 1 + random.int(6);
    dropoff[i] = 1 + random.int(6);
    hour[i] = random.int(24);
    distanceKm[i] = (Math.abs(pickup[i] - dropoff[i]) + 1) * (1 + 0.1 * random.normal(0, 1));
    const kmh = (hour[i] >= 22 || hour[i] < 6 ? 23 : 20) * speedFactor * (1 + 0.1 * random.normal(0, 1));
    durationMin[i] = (distanceKm[i] / kmh) * 60;
  }
  return { pickup, dropoff, distanceKm, durationMin, hour };
}

/** the day's rides first, then the trailing ones, as detectOutliers passes them */
function concat(day: ReturnType<typeof rides>, trailing: ReturnType<typeof rides>) {
  const join = <T extends Float64Array | Int16Array | Uint8Array>(a: T, b: T): T => {
    const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  return {
    pickup: join(day.pickup, trailing.pickup),
    dropoff: join(day.dropoff, trailing.dropoff),
    distanceKm: join(day.distanceKm, trailing.distanceKm),
    durationMin: join(day.durationMin, trailing.durationMin),
    hour: join(day.hour, trailing.hour),
  };
}

const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("the day's own speed level (context zone_map)", () => {
  const trailing = rides(20_000, 1, 1);
  const baseline = buildBaseline(dayPairMoments(trailing.distanceKm, trailing.durationMin, new Uint8Array(20_000).fill(1), trailing.pickup, trailing.dropoff), AREAS)!;
  // a Sunday: every ride 30% faster than the trailing weeks at the same hour, and one meter left running
  const day = rides(300, 2, 1.3);
  day.durationMin[0] *= 6;
  const all = concat(day, trailing);
  const features = (dayLevel: boolean) => contextFeatures(all.distanceKm, all.durationMin, all.pickup, all.dropoff, baseline, 300, all.hour, dayLevel);

  it("judges a fast day's rides against its own level, shrunk to the trailing weeks'", () => {
    const without = features(false);
    const withLevel = features(true);
    const dayB = (f: ReturnType<typeof features>) => f.b.subarray(1, 300);
    // ln 1.3 = 0.26 above the trailing rides without it; near 0 with it (20 pseudo-rides of 300 kept)
    expect(mean(dayB(without))).toBeGreaterThan(0.22);
    expect(Math.abs(mean(dayB(withLevel)))).toBeLessThan(0.05);
    // the trailing rides are judged by their own hours (before, the day's 300 fast rides moved them a little)
    expect(Math.abs(mean(withLevel.b.subarray(300)))).toBeLessThan(0.002);
    expect(Math.abs(mean(withLevel.b.subarray(300)) - mean(without.b.subarray(300)))).toBeLessThan(0.01);
    // the effect taken out of the day's night hours is the trailing weeks' night effect plus the day's level
    expect(withLevel.hourEffect![3] - withLevel.hourEffect![12]).toBeGreaterThan(0.08);
    expect(withLevel.hourEffect![12]).toBeGreaterThan(0.15);
  });

  it('still leaves a meter left running far below the day', () => {
    const withLevel = features(true);
    // ln 6 = 1.8 slower, less the day's own level
    expect(withLevel.b[0]).toBeLessThan(-1.5);
  });

  it('is the old pooled hour effect without trailing rides (a day large enough alone)', () => {
    const alone = contextFeatures(day.distanceKm, day.durationMin, day.pickup, day.dropoff, baseline, 300, day.hour, true);
    const pooled = contextFeatures(day.distanceKm, day.durationMin, day.pickup, day.dropoff, baseline, 300, day.hour, false);
    expect(Array.from(alone.b)).toEqual(Array.from(pooled.b));
  });
});
