// Rides loaded into a day that was already scored make its flags stale: the load says so, and
// records it on its loads row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../../support/databases.js';
import { simulateDay } from '../../../src/application/usecases/simulate.js';
import { scoreForTest } from '../../support/scoring.js';
import { DEFAULT_DETECTOR } from '../../../src/compute/detectOutliers.js';
import { load, scratchDir } from './fixtures.js';

const DAY = '2021-03-10';

describe.each(databaseTargets)('stale days on $name', (target) => {
  const t = useTestDatabase(target);
  const scratch = scratchDir();
  afterAll(() => scratch.cleanup());

  const score = async () => {
    const run = await scoreForTest(t.db, { serviceDate: DAY, params: { ...DEFAULT_DETECTOR }, trigger: 'test' });
    expect(run.status).toBe('succeeded');
    return run.runId;
  };

  it('a load into a scored day names it stale, once', async () => {
    await simulateDay(t.db, { serviceDate: DAY, rides: 400, seed: 5, timeZone: 'UTC' });
    const firstRun = await score();

    const file = scratch.file(
      'late.csv',
      [
        'ride_id,taxi_id,pickup_at,dropoff_at,distance_km',
        `late-1,T1,${DAY} 09:00:00,${DAY} 09:20:00,5`,
        `late-2,T2,${DAY} 10:00:00,${DAY} 10:12:00,3`,
        `late-3,T3,${DAY} 23:59:00,2021-03-11 00:10:00,4`,
        'late-4,T4,2021-03-11 08:00:00,2021-03-11 08:15:00,4',
      ].join('\n') + '\n',
    );
    const { account } = await load(t.db, file, { serviceTimeZone: 'UTC' });
    expect(account.serviceDays).toEqual([
      { day: DAY, rides: 3 },
      { day: '2021-03-11', rides: 1 },
    ]);
    expect(account.staleDays).toEqual([{ day: DAY, lastRunId: firstRun, newRides: 3, correctedRides: 0 }]);
    const loadRow = await t.db.knex('loads')
      .select(t.db.knex.raw(`array_to_string(stale_days, ',') as stale`), t.db.knex.raw(`array_to_string(service_days, ',') as days`))
      .where({ id: account.loadId })
      .first();
    expect(loadRow).toEqual({ stale: DAY, days: `${DAY},2021-03-11` });

    // the same file again: nothing new, nothing newly stale
    expect((await load(t.db, file, { serviceTimeZone: 'UTC' })).account.staleDays).toEqual([]);
  });
});
