import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';
import { scoreForTest } from '../../support/scoring.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { getRun } from '../../../src/storage/runs.js';
import { addDays } from '../../../src/application/serviceDays.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';
import { initTensorBackend } from '../../../src/compute/tensorBackend.js';

const FIRST = '2023-04-01';

describe.each(databaseTargets)('drift monitoring on $name', (target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await target.create();
    await initTensorBackend();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('stores each run’s feature summary and warns when a day moves far from the trailing days', async () => {
    const verdicts: string[] = [];
    for (let k = 0; k < 7; k++) {
      const day = addDays(FIRST, k);
      await simulateDay(t.db, { serviceDate: day, rides: 2000, seed: 300 + k, timeZone: 'UTC' });
      const result = await scoreForTest(t.db, { serviceDate: day, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
      expect(result.status).toBe('succeeded');
      verdicts.push(result.drift!.verdict);
      const run = await getRun(t.db, result.runId);
      expect(run!.feature_summary).toMatchObject({ rides: 2000 });
      expect(run!.drift_warning).toBe(false);
      // what the run resolved 'auto' to is on record
      expect((run!.parameters as { resolved: { dbscan: { eps: number } } }).resolved.dbscan.eps).toBeGreaterThan(0);
    }
    // five trailing days are needed for a verdict
    expect(verdicts).toEqual(['insufficient_history', 'insufficient_history', 'insufficient_history', 'insufficient_history', 'insufficient_history', 'stable', 'stable']);

    // a day where half the rides are anomalous: the flag rate jumps
    const odd = addDays(FIRST, 7);
    await simulateDay(t.db, { serviceDate: odd, rides: 2000, seed: 999, anomalyShare: 0.5, timeZone: 'UTC' });
    const result = await scoreForTest(t.db, { serviceDate: odd, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    expect(result.drift!.verdict).toBe('drift');
    expect(result.drift!.drifted.length).toBeGreaterThan(0);
    const run = await getRun(t.db, result.runId);
    expect(run!.drift_warning).toBe(true);
    expect(run!.drift!.drifted).toEqual(result.drift!.drifted);
  });
});
