import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_SPACES, LOCKS, lockArgs, lockInTransaction, SPACE_SQL } from '../../src/storage/locks.js';
import { createServerSchema, databaseTargets, useTestDatabase } from '../support/databases.js';
import { openDatabase } from '../../src/storage/database.js';
import { insertRides } from '../../src/storage/rides.js';
import { ensureDayPartitions } from '../../src/storage/ridePartitions.js';

describe('the advisory-lock registry', () => {
  it('gives every kind of lock a space of its own, so no two kinds share a key', () => {
    const spaces = Object.values(LOCK_SPACES);
    expect(new Set(spaces).size).toBe(spaces.length);
    // the collision this registry fixed: the load lock was (write space, 0), and 0 is 1970-01-01
    expect(lockArgs(LOCKS.writeDay('1970-01-01'))[1]).toBe(0);
    expect(lockArgs(LOCKS.loads())).not.toEqual(lockArgs(LOCKS.writeDay('1970-01-01')));
    const keys = [LOCKS.migrations(), LOCKS.loads(), LOCKS.scoreDay('1970-01-01'), LOCKS.writeDay('1970-01-01'), LOCKS.scoreDay('2021-01-01'), LOCKS.writeDay('2021-01-01')];
    expect(new Set(keys.map((k) => lockArgs(k).join(':'))).size).toBe(keys.length);
  });
});

describe.each(databaseTargets)('advisory locks on $name', (target) => {
  const t = useTestDatabase(target);

  it('a day is scored by one holder at a time; released, it can be taken again', async () => {
    const first = await t.db.tryLock(LOCKS.scoreDay('2021-03-01'));
    expect(first).not.toBeNull();
    expect(await t.db.tryLock(LOCKS.scoreDay('2021-03-01'))).toBeNull();
    const other = await t.db.tryLock(LOCKS.scoreDay('2021-03-02'));
    expect(other).not.toBeNull();
    await first!();
    await other!();
    const again = await t.db.tryLock(LOCKS.scoreDay('2021-03-01'));
    expect(again).not.toBeNull();
    await again!();
  });

  it.runIf(target.name === 'server')('two schemas in one database do not share locks: a day scored in one is free in the other', async () => {
    const held = await t.db.tryLock(LOCKS.scoreDay('2021-03-01'));
    expect(held).not.toBeNull();
    const other = await createServerSchema();
    const db = await openDatabase({ databaseUrl: other.url });
    try {
      const there = await db.tryLock(LOCKS.scoreDay('2021-03-01'));
      expect(there).not.toBeNull();
      await there!();
      // and within one schema the lock still holds
      expect(await t.db.tryLock(LOCKS.scoreDay('2021-03-01'))).toBeNull();
    } finally {
      await held!();
      await db.close();
      await other.drop();
    }
  });

  it.runIf(target.name === 'server')('a load in progress does not hold up the flag write of 1970-01-01', async () => {
    const knex = t.db.knex;
    const load = await knex.transaction();
    try {
      await lockInTransaction(load, LOCKS.loads());
      const taken = await knex.transaction(async (write) => {
        const [space, id] = lockArgs(LOCKS.writeDay('1970-01-01'));
        const { rows } = await write.raw(`select pg_try_advisory_xact_lock(${SPACE_SQL}, ?) as taken`, [space, id]);
        return rows[0].taken as boolean;
      });
      expect(taken).toBe(true);
      // and a second load does wait for the first
      const secondLoad = await knex.transaction(async (other) => {
        const [space, id] = lockArgs(LOCKS.loads());
        const { rows } = await other.raw(`select pg_try_advisory_xact_lock(${SPACE_SQL}, ?) as taken`, [space, id]);
        return rows[0].taken as boolean;
      });
      expect(secondLoad).toBe(false);
    } finally {
      await load.rollback();
    }
  });

  // A load checks which ids are present, then COPYs the rest: a simulation committing one of those
  // ids in between failed the whole file on the primary key. So inserts queue behind loads.
  it.runIf(target.name === 'server')('a simulated insert waits for a file load in progress, whatever its ids', async () => {
    const knex = t.db.knex;
    const load = await knex.transaction();
    let inserted = false;
    try {
      await lockInTransaction(load, LOCKS.loads());
      // the load has put a ride in, not yet committed
      await ensureDayPartitions(load, ['2021-05-01']);
      await load('rides').insert({ ride_id: 'shared-id', pickup_at: new Date('2021-05-01T08:00:00Z'), dropoff_at: new Date('2021-05-01T08:10:00Z'), distance_km: 3, service_date: '2021-05-01' });
      const pending = insertRides(t.db, [{ rideId: 'other-id', taxiId: null, pickupLocalMs: Date.parse('2021-05-01T08:00:00Z'), dropoffLocalMs: Date.parse('2021-05-01T08:10:00Z'), distanceKm: 3 }], 'UTC').then((r) => {
        inserted = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(inserted).toBe(false); // waiting behind the load's lock
      await load.commit();
      expect(await pending).toEqual({ inserted: 1, alreadyPresent: 0 });
    } finally {
      if (!load.isCompleted()) await load.rollback();
    }
  });
});
