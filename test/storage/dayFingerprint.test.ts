// The day's fingerprint changes with every column the detector reads and with the flags, not with
// the rows' order nor with columns it does not read; put a value back and the fingerprint is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { simulateDay } from '../../src/application/usecases/simulate.js';
import { dayFingerprint } from '../../src/storage/dayFingerprint.js';

const DAY = '2022-08-01';

describe.each(databaseTargets)('the day fingerprint on $name', (target) => {
  let t: TestDatabase;
  let rideId: string;

  beforeAll(async () => {
    t = await target.create();
    await simulateDay(t.db, { serviceDate: DAY, rides: 300, seed: 41, timeZone: 'UTC' });
    await simulateDay(t.db, { serviceDate: '2022-08-02', rides: 50, seed: 42, timeZone: 'UTC' });
    await t.db.knex('rides').where({ service_date: DAY }).update({ is_outlier: false, outlier_score: 0 });
    rideId = (await t.db.knex('rides').where({ service_date: DAY }).orderBy('ride_id').first('ride_id')).ride_id;
  });
  afterAll(async () => {
    await t?.drop();
  });

  const one = () => t.db.knex('rides').where({ service_date: DAY, ride_id: rideId });

  it('counts the rides and the unscored ones, and is the same when taken again', async () => {
    const first = await dayFingerprint(t.db, DAY);
    expect(first).toMatchObject({ rides: 300, unscored: 0 });
    expect(first.fingerprint).toMatch(/^-?\d+$/);
    expect(await dayFingerprint(t.db, DAY)).toEqual(first);
    expect((await dayFingerprint(t.db, '2022-08-02')).fingerprint).not.toBe(first.fingerprint);
    expect(await dayFingerprint(t.db, '2022-08-03')).toEqual({ rides: 0, unscored: 0, fingerprint: '0' });
  });

  it.each([
    ['distance', { distance_km: 123.4 }],
    ['duration (its dropoff)', { dropoff_at: t0('2022-08-01T23:59:00Z') }],
    ['flag', { is_outlier: true }],
    ['flag cleared', { is_outlier: null }],
    ['reason', { outlier_reason: 'noise' }],
    ['score', { outlier_score: 0.5 }],
    ['pickup zone', { pickup_zone_id: 132 }],
    ['dropoff zone', { dropoff_zone_id: 138 }],
    ['fare', { fare_amount: 52 }],
    ['payment type', { payment_type: 3 }],
  ])('changes with the %s, and is back when the value is', async (_, change) => {
    const before = await dayFingerprint(t.db, DAY);
    const columns = Object.keys(change);
    const old = await one().first(columns);
    await one().update(change);
    const changed = await dayFingerprint(t.db, DAY);
    expect(changed.fingerprint).not.toBe(before.fingerprint);
    await one().update(old);
    // the row now sits elsewhere in the heap: the order does not count
    expect(await dayFingerprint(t.db, DAY)).toEqual(before);
  });

  it('changes with the pickup time even at the same duration, and with the ride id', async () => {
    const before = await dayFingerprint(t.db, DAY);
    const old = await one().first('pickup_at', 'dropoff_at');
    await one().update({ pickup_at: t.db.knex.raw(`pickup_at + interval '1 minute'`), dropoff_at: t.db.knex.raw(`dropoff_at + interval '1 minute'`) });
    expect((await dayFingerprint(t.db, DAY)).fingerprint).not.toBe(before.fingerprint);
    await one().update(old);
    expect(await dayFingerprint(t.db, DAY)).toEqual(before);
    await one().update({ ride_id: `${rideId}-renamed` });
    expect((await dayFingerprint(t.db, DAY)).fingerprint).not.toBe(before.fingerprint);
    await t.db.knex('rides').where({ service_date: DAY, ride_id: `${rideId}-renamed` }).update({ ride_id: rideId });
    expect(await dayFingerprint(t.db, DAY)).toEqual(before);
  });

  it('does not change with columns the detector does not read', async () => {
    const before = await dayFingerprint(t.db, DAY);
    await one().update({ tip_amount: 9.5, taxi_id: 'T-other' });
    expect(await dayFingerprint(t.db, DAY)).toEqual(before);
  });

  it('counts a ride without a flag as unscored', async () => {
    await one().update({ is_outlier: null });
    expect((await dayFingerprint(t.db, DAY)).unscored).toBe(1);
    await one().update({ is_outlier: false });
  });
});

function t0(iso: string): Date {
  return new Date(iso);
}
