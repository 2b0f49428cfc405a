import { describe, expect, it } from 'vitest';
import { buildBaseline, MIN_SD, SHRINK_RIDES, zoneArea } from '../../../src/compute/context/baseline.js';
import { addMoments, dayPairMoments, emptyMoments } from '../../../src/compute/context/pairMoments.js';

/** rides between zones as columns, all included */
function rides(list: [pickup: number, dropoff: number, km: number, min: number][]) {
  return dayPairMoments(
    Float64Array.from(list, (r) => r[2]),
    Float64Array.from(list, (r) => r[3]),
    new Uint8Array(list.length).fill(1),
    Int16Array.from(list, (r) => r[0]),
    Int16Array.from(list, (r) => r[1]),
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// zones 1, 2 in borough A; 3 in borough B; 132 is an airport
const AREAS = new Map([
  [1, 'A'],
  [2, 'A'],
  [3, 'B'],
  [132, 'JFK Airport'],
]);

describe('zone-pair moments', () => {
  it('sums ln distance and ln duration by pair, leaving out rides without zones or not included', () => {
    const m = dayPairMoments(
      Float64Array.from([2, 4, 3, 5, 0]),
      Float64Array.from([10, 20, 9, 5, 3]),
      Uint8Array.from([1, 1, 1, 0, 1]),
      Int16Array.from([1, 1, 0, 1, 1]),
      Int16Array.from([2, 2, 3, 2, 2]),
    );
    // ride 3 has no pickup zone, ride 4 is not included, ride 5 has distance 0
    expect(m.pickup.length).toBe(1);
    expect(m.rides[0]).toBe(2);
    expect(m.sumD[0]).toBeCloseTo(Math.log(2) + Math.log(4), 12);
    expect(m.sumDT[0]).toBeCloseTo(Math.log(2) * Math.log(10) + Math.log(4) * Math.log(20), 12);
    const twice = addMoments(m, m);
    expect(twice.rides[0]).toBe(4);
    expect(twice.sumTT[0]).toBeCloseTo(2 * m.sumTT[0], 12);
  });
});

describe('the zone-pair baseline', () => {
  it('is its own rides for a well-seen pair, and pools both directions of it', () => {
    const list: [number, number, number, number][] = [];
    for (let i = 0; i < 200; i++) list.push(i % 2 === 0 ? [1, 2, 3 + (i % 7) * 0.1, 12] : [2, 1, 3 + (i % 5) * 0.1, 12]);
    const baseline = buildBaseline(rides(list), AREAS)!;
    const ref = baseline.reference(1, 2);
    expect(ref.level).toBe('zone_pair');
    expect(baseline.reference(2, 1)).toEqual(ref);
    // 200 rides against SHRINK_RIDES pseudo-rides at the area's (here the same) mean: the pair's own mean
    expect(ref.meanD).toBeCloseTo(mean(list.map((r) => Math.log(r[2]))), 3);
  });

  it('shrinks a rarely seen pair towards its area pair, and judges an unseen one at the area pair', () => {
    const list: [number, number, number, number][] = [];
    for (let i = 0; i < 100; i++) list.push([1, 3, 10, 30]); // A→B: 10 km
    list.push([2, 3, 20, 30], [2, 3, 20, 30]); // 2→3 (also A→B), seen twice at 20 km
    const baseline = buildBaseline(rides(list), AREAS)!;
    const rare = baseline.reference(2, 3);
    const expected = (2 * Math.log(20) + SHRINK_RIDES * baseline.reference(1, 3).meanD) / (2 + SHRINK_RIDES);
    // the area pair's mean is nearly 10 km's: the rare pair lies between it and its own 20 km
    expect(rare.meanD).toBeGreaterThan(Math.log(10));
    expect(rare.meanD).toBeLessThan(Math.log(20));
    expect(rare.meanD).toBeCloseTo(expected, 1);
    expect(rare.level).toBe('area_pair');
    const unseen = baseline.reference(1, 3 + 0); // seen: its own pair
    expect(unseen.level).toBe('zone_pair');
    const neverSeenPair = buildBaseline(rides(list.slice(0, 100)), AREAS)!.reference(2, 3);
    expect(neverSeenPair.level).toBe('area_pair');
    expect(neverSeenPair.meanD).toBeCloseTo(Math.log(10), 2);
  });

  it('falls back to all rides for unknown zones, and keeps a spread floor', () => {
    const baseline = buildBaseline(rides(Array.from({ length: 50 }, () => [1, 2, 5, 15] as [number, number, number, number])), AREAS)!;
    const unknown = baseline.reference(0, 264);
    expect(unknown.level).toBe('all');
    expect(unknown.meanD).toBeCloseTo(Math.log(5), 9);
    // 50 identical rides: no spread of their own, the floor instead
    expect(baseline.reference(1, 2).sdD).toBe(MIN_SD);
  });

  it('is null without rides, and airports are areas of their own', () => {
    expect(buildBaseline(emptyMoments(), AREAS)).toBeNull();
    expect(zoneArea('Queens', 'JFK Airport', 'Airports')).toBe('JFK Airport');
    expect(zoneArea('EWR', 'Newark Airport', 'EWR')).toBe('Newark Airport');
    expect(zoneArea('Queens', 'Astoria', 'Boro Zone')).toBe('Queens');
    expect(zoneArea('Unknown', 'NV', 'N/A')).toBe('');
  });
});
