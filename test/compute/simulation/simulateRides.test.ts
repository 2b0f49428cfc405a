import { describe, expect, it } from 'vitest';
import { simulateRides, RIDE_GROUPS } from '../../../src/compute/simulation/simulateRides.js';

describe('simulateRides', () => {
  it('is reproducible for a seed and differs across seeds', () => {
    const a = simulateRides(1000, 42);
    const b = simulateRides(1000, 42);
    const c = simulateRides(1000, 43);
    expect(Array.from(a.distanceKm)).toEqual(Array.from(b.distanceKm));
    expect(Array.from(a.durationMin)).toEqual(Array.from(b.durationMin));
    expect(Array.from(a.distanceKm)).not.toEqual(Array.from(c.distanceKm));
  });

  it("draws the book's groups in the book's proportions", () => {
    const n = 40_000;
    const day = simulateRides(n, 1);
    const count = (g: number) => day.group.filter((x) => x === g).length;
    expect(count(0)).toBe(37_000);
    for (let g = 1; g < RIDE_GROUPS.length; g++) expect(count(g)).toBe(1000);
    const speed = (g: number) => {
      let sum = 0;
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (day.group[i] !== g) continue;
        sum += day.distanceKm[i] / (day.durationMin[i] / 60);
        k++;
      }
      return sum / k;
    };
    const maxDistance = (g: number) => Math.max(...Array.from(day.distanceKm).filter((_, i) => day.group[i] === g));
    expect(speed(0)).toBeGreaterThan(29);
    expect(speed(0)).toBeLessThan(32);
    expect(speed(2)).toBeGreaterThan(48);
    expect(speed(3)).toBeLessThan(17);
    expect(maxDistance(0)).toBeLessThanOrEqual(10);
    expect(maxDistance(1)).toBeGreaterThan(25);
  });
});
