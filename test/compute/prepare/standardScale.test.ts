import { beforeAll, describe, expect, it } from 'vitest';
import { standardScale } from '../../../src/compute/prepare/standardScale.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

function reference(values: Float64Array) {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  variance /= values.length; // population, as StandardScaler
  return { mean, std: Math.sqrt(variance) };
}

describe('standardScale', () => {
  beforeAll(async () => {
    await initTensorBackend();
  });

  it('matches StandardScaler (mean, population sd) computed in float64', () => {
    const random = new SeededRandom(7);
    const n = 50_000;
    // a large offset relative to the spread, where naive float32 moments lose digits
    const a = Float64Array.from({ length: n }, () => 1000 + random.normal(0, 2));
    const b = Float64Array.from({ length: n }, () => random.uniform(0, 60));
    const { xs, ys, stats } = standardScale(a, b, ['a', 'b']);
    const ra = reference(a);
    const rb = reference(b);
    expect(stats.mean[0]).toBeCloseTo(ra.mean, 4);
    expect(stats.std[0] / ra.std).toBeCloseTo(1, 4);
    expect(stats.mean[1]).toBeCloseTo(rb.mean, 4);
    expect(stats.std[1] / rb.std).toBeCloseTo(1, 4);
    for (let i = 0; i < n; i += 997) {
      expect(xs[i]).toBeCloseTo((a[i] - ra.mean) / ra.std, 4);
      expect(ys[i]).toBeCloseTo((b[i] - rb.mean) / rb.std, 4);
    }
  });

  it('divides a constant feature by 1, as StandardScaler does', () => {
    const { xs, ys, stats } = standardScale(Float64Array.from([3, 3, 3]), Float64Array.from([1, 2, 3]), ['c', 'v']);
    expect(stats.std[0]).toBe(1);
    expect(Array.from(xs)).toEqual([0, 0, 0]);
    expect(ys[0]).toBeCloseTo(-Math.sqrt(1.5), 5);
  });

  it('handles an empty day', () => {
    const { xs, stats } = standardScale(new Float64Array(0), new Float64Array(0), ['a', 'b']);
    expect(xs.length).toBe(0);
    expect(stats.n).toBe(0);
  });
});

describe('initTensorBackend', () => {
  it('starts a real backend and names it', async () => {
    const name = await initTensorBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(name);
    const tf = await import('@tensorflow/tfjs-core');
    expect(tf.getBackend()).toBe(name);
  });
});

