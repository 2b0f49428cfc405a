import { describe, expect, it } from 'vitest';
import { evaluateDay, evaluateSweep, scoreFlags, summarize } from '../../../src/compute/simulation/evaluateDetector.js';
import { BOOK_RECIPE, DEFAULT_DETECTOR, detectOutliers } from '../../../src/compute/detectOutliers.js';
import { simulateScenario, SCENARIOS } from '../../../src/compute/simulation/scenarios.js';
import { simulateRides } from '../../../src/compute/simulation/simulateRides.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

describe('evaluation metrics', () => {
  it('counts precision, recall and F1 on a hand-made set', () => {
    // 30 rides: 20 normal, 10 anomalies (4 long distance, 3 high speed, 3 low speed);
    // 8 flagged: 6 anomalies (3 long, 2 high, 1 low) and 2 normal rides
    const group = new Uint8Array([...Array(20).fill(0), 1, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    const flags = new Uint8Array(30);
    for (const i of [3, 11, 20, 21, 22, 24, 25, 27]) flags[i] = 1;
    const m = scoreFlags(flags, group);
    expect(m).toMatchObject({ rides: 30, anomalies: 10, flagged: 8, truePositives: 6, falsePositives: 2, falseNegatives: 4 });
    expect(m.precision).toBe(0.75);
    expect(m.recall).toBe(0.6);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.byGroup).toEqual([
      { group: 'long_distance', anomalies: 4, flagged: 3, recall: 0.75 },
      { group: 'high_speed', anomalies: 3, flagged: 2, recall: 2 / 3 },
      { group: 'low_speed', anomalies: 3, flagged: 1, recall: 1 / 3 },
    ]);
  });

  it('is 0, not NaN, when nothing is flagged or nothing is anomalous', () => {
    const none = scoreFlags(new Uint8Array(4), new Uint8Array([0, 1, 2, 3]));
    expect(none).toMatchObject({ flagged: 0, precision: 0, recall: 0, f1: 0 });
    const clean = scoreFlags(new Uint8Array([1, 0]), new Uint8Array([0, 0]));
    expect(clean).toMatchObject({ anomalies: 0, precision: 0, recall: 0, f1: 0 });
    expect(clean.byGroup.every((g) => Number.isNaN(g.recall))).toBe(true);
    const perfect = scoreFlags(new Uint8Array([0, 1, 1, 1]), new Uint8Array([0, 1, 2, 3]));
    expect(perfect).toMatchObject({ precision: 1, recall: 1, f1: 1 });
    expect(() => scoreFlags(new Uint8Array(2), new Uint8Array(3))).toThrow(/length/);
  });

  it('averages over seeds, the metrics of each run being those of detectOutliers on the same day', async () => {
    await initTensorBackend();
    const detectors = [
      { name: 'default', params: DEFAULT_DETECTOR },
      { name: 'book recipe', params: BOOK_RECIPE },
    ];
    const { runs, summary } = evaluateSweep({ scenario: 'book', sizes: [400, 2000], seeds: [1, 2], detectors });
    expect(runs).toHaveLength(8);
    expect(summary.map((s) => [s.rides, s.detector])).toEqual([
      [400, 'default'],
      [400, 'book recipe'],
      [2000, 'default'],
      [2000, 'book recipe'],
    ]);
    for (const run of runs) {
      const day = simulateRides(run.rides, run.seed);
      const result = detectOutliers(day.distanceKm, day.durationMin, run.detector === 'default' ? DEFAULT_DETECTOR : BOOK_RECIPE);
      expect(run.metrics).toEqual(scoreFlags(result.isOutlier, day.group));
      expect(run.resolved).toEqual(result.resolved);
    }
    const s = summary[2];
    const mine = runs.filter((r) => r.rides === 2000 && r.detector === 'default');
    expect(s.f1).toBeCloseTo((mine[0].metrics.f1 + mine[1].metrics.f1) / 2, 12);
    expect(s.recallByGroup.high_speed).toBeCloseTo((mine[0].metrics.byGroup[1].recall + mine[1].metrics.byGroup[1].recall) / 2, 12);
    expect(s.eps).toBeCloseTo((mine[0].resolved.dbscan!.eps + mine[1].resolved.dbscan!.eps) / 2, 12);
    expect(summary[3].eps).toBe(0.3);
    expect(summarize(mine)).toEqual(s);
  });

  it('counts rule flags as flags', async () => {
    await initTensorBackend();
    const [run] = evaluateDay('book', 400, 1, [{ name: 'strict rules', params: { ...BOOK_RECIPE, rules: { maxSpeedKmh: 1 } } }]);
    expect(run.outliersByReason.speed_limit).toBe(400);
    expect(run.metrics.flagged).toBe(400);
    expect(run.metrics.recall).toBe(1);
  });
});

describe('scenarios', () => {
  it('book is simulateRides itself; city is another, labelled the same way', () => {
    const book = simulateScenario('book', 1000, 3);
    const direct = simulateRides(1000, 3);
    expect(Array.from(book.durationMin)).toEqual(Array.from(direct.durationMin));
    const city = simulateScenario('city', 100_000, 3);
    const count = (g: number) => city.group.filter((x) => x === g).length;
    expect([count(0), count(1), count(2), count(3)]).toEqual([90_000, 2000, 3000, 5000]);
    const medianSpeed = (g: number) => {
      const v = Array.from(city.group.keys()).filter((i) => city.group[i] === g).map((i) => (city.distanceKm[i] * 60) / city.durationMin[i]).sort((a, b) => a - b);
      return v[v.length >> 1];
    };
    expect(medianSpeed(0)).toBeGreaterThan(20);
    expect(medianSpeed(0)).toBeLessThan(24);
    expect(medianSpeed(2)).toBeGreaterThan(60);
    expect(medianSpeed(3)).toBeLessThan(9);
    expect(Array.from(city.durationMin).every((t) => t > 0)).toBe(true);
    expect(SCENARIOS).toEqual(['book', 'city']);
  });
});
