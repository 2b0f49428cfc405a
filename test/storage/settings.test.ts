// The settings row (migration 009) and what guards the service time zone: one row, a load that
// finds the zone changed under it, a first-load claim that lost a race, and a change that meets a
// day being scored.
import { describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { RIDES_CSV_TARGET } from '../support/loadTarget.js';
import { loadRideBatches, type RideRow, type RowBatch } from '../../src/storage/rideLoads.js';
import { changeServiceTimeZone, chooseServiceTimeZone, readSettings, ScoringInProgressError, ServiceTimeZoneChangedError } from '../../src/storage/settings.js';
import { insertRides } from '../../src/storage/rides.js';
import { LOCKS } from '../../src/storage/locks.js';


async function* oneRide(id: string): AsyncGenerator<RowBatch> {
  const ride: RideRow = {
    rideId: id,
    taxiId: null,
    pickupAtMs: Date.UTC(2021, 5, 1, 12),
    dropoffAtMs: Date.UTC(2021, 5, 1, 12, 10),
    serviceDay: Math.floor(Date.UTC(2021, 5, 1) / 86_400_000),
    distanceKm: 2,
  };
  yield { each: (onRide) => onRide(ride) };
}

const rideCount = async (t: { db: { knex: (table: string) => any } }) => Number((await t.db.knex('rides').count('* as n'))[0].n);

describe.each(databaseTargets)('settings on $name', (target) => {
  const t = useTestDatabase(target);

  it('a new database is in UTC, never chosen, and keeps one settings row', async () => {
    expect(await readSettings(t.db)).toMatchObject({ timeZone: { zone: 'UTC', source: 'default' }, hasRides: false });
    await expect(t.db.knex.raw(`insert into settings (service_time_zone, time_zone_source) values ('UTC', 'chosen')`)).rejects.toThrow(/duplicate key|unique/);
    await expect(t.db.knex.raw(`insert into settings (one_row, service_time_zone, time_zone_source) values (false, 'UTC', 'chosen')`)).rejects.toThrow(/check constraint/);
    await expect(t.db.knex('settings').update({ time_zone_source: 'guessed' })).rejects.toThrow(/check constraint/);
  });

  it('a load whose zone is no longer the database\'s, or whose first-load claim lost, writes nothing', async () => {
    await expect(loadRideBatches(t.db, { ...RIDES_CSV_TARGET, serviceTimeZone: 'Asia/Tokyo', zone: { claim: false } }, oneRide('tz-a'))).rejects.toThrow(ServiceTimeZoneChangedError);
    expect(await rideCount(t)).toBe(0);
    // the claim wins on an empty database never chosen; a second claim finds rides and loses
    await loadRideBatches(t.db, { ...RIDES_CSV_TARGET, serviceTimeZone: 'America/New_York', zone: { claim: true } }, oneRide('tz-b'));
    expect((await readSettings(t.db)).timeZone).toMatchObject({ zone: 'America/New_York', source: 'first load' });
    await expect(loadRideBatches(t.db, { ...RIDES_CSV_TARGET, serviceTimeZone: 'America/New_York', zone: { claim: true } }, oneRide('tz-c'))).rejects.toThrow(ServiceTimeZoneChangedError);
    expect(await rideCount(t)).toBe(1);
    // the right zone, unclaimed: loads
    await loadRideBatches(t.db, { ...RIDES_CSV_TARGET, serviceTimeZone: 'America/New_York', zone: { claim: false } }, oneRide('tz-d'));
    expect(await rideCount(t)).toBe(2);
  });

  it('simulated inserts without a zone take the database\'s', async () => {
    await chooseServiceTimeZone(t.db, 'America/New_York');
    const at = Date.UTC(2021, 6, 1, 23, 30); // 23:30 wall-clock, New York
    await insertRides(t.db, [{ rideId: 'tz-sim', taxiId: null, pickupLocalMs: at, dropoffLocalMs: at + 600_000, distanceKm: 1 }]);
    const row = await t.db.knex('rides').where({ ride_id: 'tz-sim' }).select(t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day, pickup_at`)).first();
    expect(row.day).toBe('2021-07-01');
    expect(new Date(row.pickup_at).toISOString()).toBe('2021-07-02T03:30:00.000Z'); // EDT, UTC-4
  });

  it.skipIf(target.name === 'pglite')('a change refuses while a day it would move is being scored, and changes nothing', async () => {
    // tz-sim moves from 2021-07-01 (New York) to 2021-07-02 (UTC)
    const release = await t.db.tryLock(LOCKS.scoreDay('2021-07-02'));
    expect(release).not.toBeNull();
    try {
      await expect(changeServiceTimeZone(t.db, 'UTC', { moveRides: true })).rejects.toThrow(ScoringInProgressError);
      expect((await readSettings(t.db)).timeZone.zone).toBe('America/New_York');
    } finally {
      await release!();
    }
    const change = await changeServiceTimeZone(t.db, 'UTC', { moveRides: true });
    expect(change).toMatchObject({ applied: true, affectedDays: expect.arrayContaining(['2021-07-01', '2021-07-02']) });
  });
});
