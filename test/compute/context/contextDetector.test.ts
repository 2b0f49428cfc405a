import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR, detectOutliers, type DetectionInputs } from '../../../src/compute/detectOutliers.js';
import { dayPairMoments } from '../../../src/compute/context/pairMoments.js';
import { OUTLIER_REASONS } from '../../../src/compute/outlierReasons.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

// A city of 12 zones in two boroughs: zone i lies at (i, 0) km, so a trip from p to q is |p − q| + 1 km
// give or take 15%, at 20 km/h give or take 20%. Airport-like runs (zone 0 ↔ 11) are 12 km.
const AREAS = new Map(Array.from({ length: 12 }, (_, z) => [z + 1, z < 6 ? 'West' : 'East'] as [number, string]));

function city(rides: number, seed: number) {
  const random = new SeededRandom(seed);
  const pickup = new Int16Array(rides);
  const dropoff = new Int16Array(rides);
  const distanceKm = new Float64Array(rides);
  const durationMin = new Float64Array(rides);
  for (let i = 0; i < rides; i++) {
    const p = 1 + Math.floor(random.next() * 12);
    const q = 1 + Math.floor(random.next() * 12);
    pickup[i] = p;
    dropoff[i] = q;
    distanceKm[i] = (Math.abs(p - q) + 1) * (1 + 0.15 * random.normal(0, 1));
    durationMin[i] = (distanceKm[i] / (20 * (1 + 0.2 * random.normal(0, 1)))) * 60;
  }
  return { pickup, dropoff, distanceKm, durationMin };
}

const reason = (code: number) => (code === 0 ? 'normal' : OUTLIER_REASONS[code - 1]);

describe('judging rides against their zone pair', () => {
  beforeAll(() => initTensorBackend());

  // Four weeks of history, then a day with three long hauls: 1→2 trips (2 km) taken at 5 km, at a
  // normal speed. 5 km at 20 km/h is an ordinary ride of the day (1→5 is 5 km): only its pair says
  // it is not.
  const history = city(8000, 1);
  const moments = dayPairMoments(history.distanceKm, history.durationMin, new Uint8Array(8000).fill(1), history.pickup, history.dropoff);
  const day = city(600, 2);
  const hauls = [0, 1, 2];
  for (const i of hauls) {
    day.pickup[i] = 1;
    day.dropoff[i] = 2;
    day.distanceKm[i] = 5.2;
    day.durationMin[i] = 15.5;
  }
  const inputs: DetectionInputs = {
    zones: { pickup: day.pickup, dropoff: day.dropoff },
    history: { moments, days: 28, areaOf: AREAS },
  };

  it('flags a long haul that the day-level features leave among normal rides', () => {
    const withContext = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR, inputs);
    const dayLevel = detectOutliers(day.distanceKm, day.durationMin, { ...DEFAULT_DETECTOR, context: 'none' }, inputs);
    expect(hauls.map((i) => reason(withContext.reasonCode[i]))).toEqual(['noise', 'noise', 'noise']);
    expect(hauls.map((i) => reason(dayLevel.reasonCode[i]))).toEqual(['normal', 'normal', 'normal']);
    expect(withContext.resolved.context?.baselineRides).toBe(8000);
    expect(withContext.resolved.context?.levels.zone_pair).toBe(600);
    expect(dayLevel.resolved.context).toBeUndefined();
    // and flags few of the ordinary rides
    expect(withContext.outliers).toBeLessThan(600 * 0.05);
  });

  it('keeps the day-level detector for rides without zones', () => {
    const noZones = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR, { history: inputs.history });
    const dayLevel = detectOutliers(day.distanceKm, day.durationMin, { ...DEFAULT_DETECTOR, context: 'none' });
    expect(Array.from(noZones.reasonCode)).toEqual(Array.from(dayLevel.reasonCode));
    expect(noZones.resolved.context).toBeUndefined();
  });

  it('with no history, judges the day against its own pairs', () => {
    const own = detectOutliers(day.distanceKm, day.durationMin, DEFAULT_DETECTOR, { ...inputs, history: { moments: dayPairMoments(new Float64Array(0), new Float64Array(0), new Uint8Array(0), new Int16Array(0), new Int16Array(0)), days: 0, areaOf: AREAS } });
    expect(own.resolved.context?.ownDayIncluded).toBe(true);
    // the day's rides within 2.5 spreads of a first estimate of their pairs
    expect(own.resolved.context?.baselineRides).toBeLessThan(600);
    expect(own.resolved.context?.baselineRides).toBeGreaterThan(570);
    // (the three hauls are a quarter of their pair's rides that day: without history they shape
    // their own pair's baseline, and pass; history is what catches them, as above)
  });
});

describe('clustering a small day with trailing rides', () => {
  beforeAll(() => initTensorBackend());

  it('flags only the day, with min_samples set by the day and its reference together', () => {
    const history = city(20000, 3);
    const day = city(300, 4);
    const params = { ...DEFAULT_DETECTOR, context: 'none' as const };
    const alone = detectOutliers(day.distanceKm, day.durationMin, params);
    const withReference = detectOutliers(day.distanceKm, day.durationMin, params, { reference: { distanceKm: history.distanceKm, durationMin: history.durationMin } });
    expect(withReference.isOutlier.length).toBe(300);
    expect(withReference.resolved.referenceRides).toBe(20000);
    expect(alone.resolved.referenceRides).toBe(0);
    expect(withReference.resolved.dbscan!.minSamples).toBe(Math.round(20300 / 400));
    expect(alone.resolved.dbscan!.minSamples).toBe(10);
  });

  it('is not used with a given eps or min_samples (the book: the day alone)', () => {
    const history = city(5000, 5);
    const day = city(300, 6);
    const book = { algorithm: 'dbscan' as const, features: 'distance_duration' as const, eps: 0.3, minSamples: 10, minClusterShare: 0 };
    const a = detectOutliers(day.distanceKm, day.durationMin, book);
    const b = detectOutliers(day.distanceKm, day.durationMin, book, { reference: { distanceKm: history.distanceKm, durationMin: history.durationMin } });
    expect(Array.from(b.isOutlier)).toEqual(Array.from(a.isOutlier));
    expect(b.resolved.referenceRides).toBe(0);
  });
});
