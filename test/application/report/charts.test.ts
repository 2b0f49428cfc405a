import { describe, expect, it } from 'vitest';
import { categoryStyle, orderReasons, scatterAxes, symlogTicks, NORMAL } from '../../../src/application/report/charts.js';
import { OUTLIER_REASONS } from '../../../src/compute/outlierReasons.js';

describe('report charts', () => {
  const normal = Array.from({ length: 200 }, (_, i) => ({ distanceKm: (i % 10) + 0.5, durationMin: 2 * (i % 10) + 1, reason: null }));

  it('keeps linear axes for ordinary traffic, and turns an axis symmetric-log for an absurd ride', () => {
    expect(scatterAxes([...normal, { distanceKm: 30, durationMin: 60, reason: 'noise' }])).toEqual({ x: 'linear', y: 'linear' });
    expect(scatterAxes([...normal, { distanceKm: 900, durationMin: 20, reason: 'noise' }])).toEqual({ x: 'symlog', y: 'linear' });
    expect(scatterAxes([])).toEqual({ x: 'linear', y: 'linear' });
  });

  it('labels a symlog axis 0, 1, 2, 5, 10, … up past the largest value', () => {
    expect(symlogTicks(900)).toEqual([0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(symlogTicks(1)).toEqual([0, 1]);
  });

  it('gives every reason its own colour and shape, normal rides a muted grey, unknown reasons a fallback', () => {
    const styles = OUTLIER_REASONS.map((r) => categoryStyle(r));
    expect(new Set(styles.map((s) => s.color)).size).toBe(OUTLIER_REASONS.length);
    expect(new Set(styles.map((s) => s.shape)).size).toBe(OUTLIER_REASONS.length);
    expect(categoryStyle(NORMAL).color).toBe('#b3b3b3');
    // an unknown reason gets a fallback style that is none of the known reasons' or normal's
    const fallback = categoryStyle('fare_anomaly');
    expect(styles.some((s) => s.color === fallback.color && s.shape === fallback.shape)).toBe(false);
    expect(fallback.color).not.toBe(categoryStyle(NORMAL).color);
    expect(orderReasons(['zeta', 'non_finite', 'noise', 'alpha'])).toEqual(['noise', 'non_finite', 'alpha', 'zeta']);
  });
});
