// rides partitioned by service day (migration 012): partitions made on demand by every writer,
// race-safe, a day's read touching only its partition, and ride identity within a day of the ride.
import { describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { RIDES_CSV_TARGET } from '../support/loadTarget.js';
import { loadRideBatches, type RideRow, type RowBatch } from '../../src/storage/rideLoads.js';
import { insertRides } from '../../src/storage/rides.js';
import { changeServiceTimeZone } from '../../src/storage/settings.js';
import { ensureDayPartitions, listDayPartitions } from '../../src/storage/ridePartitions.js';
import { openDatabase } from '../../src/storage/database.js';

const DAY_MS = 86_400_000;
const dayOf = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);

function ride(id: string, isoDay: string, hourUtc: number, distanceKm = 2): RideRow {
  const pickup = Date.parse(`${isoDay}T00:00:00Z`) + hourUtc * 3_600_000;
  return { rideId: id, taxiId: 'T1', pickupAtMs: pickup, dropoffAtMs: pickup + 600_000, serviceDay: dayOf(isoDay), distanceKm };
}

async function* batches(...rides: RideRow[]): AsyncGenerator<RowBatch> {
  yield { each: (onRide) => rides.forEach(onRide) };
}

describe.each(databaseTargets)('rides partitions on $name', (target) => {
  const t = useTestDatabase(target);
  const partitionDays = async () => (await listDayPartitions(t.db.knex)).map((p) => p.day);
  const ridesOf = async (id: string) =>
    (await t.db.knex.raw(`select to_char(service_date, 'YYYY-MM-DD') as day, distance_km, is_outlier, tableoid::regclass::text as part
      from rides where ride_id = ? order by service_date`, [id])).rows as { day: string; distance_km: number; is_outlier: boolean | null; part: string }[];

  it('a load makes the partitions of its days, named by day, with fillfactor 50; a dry run leaves none', async () => {
    await loadRideBatches(t.db, { ...RIDES_CSV_TARGET, dryRun: true }, batches(ride('p-dry', '2021-02-01', 3)));
    expect(await partitionDays()).not.toContain('2021-02-01');
    await loadRideBatches(t.db, RIDES_CSV_TARGET, batches(ride('p-1', '2021-02-01', 3), ride('p-2', '2021-02-02', 3), ride('p-3', '2021-02-04', 3)));
    expect(await partitionDays()).toEqual(expect.arrayContaining(['2021-02-01', '2021-02-02', '2021-02-04']));
    expect(await partitionDays()).not.toContain('2021-02-03');
    expect((await ridesOf('p-2'))[0].part).toBe('rides_2021_02_02');
    const options = (await t.db.knex.raw(`select reloptions from pg_class where relname = 'rides_2021_02_04'`)).rows[0].reloptions;
    expect(options).toEqual(['fillfactor=50']);
  });

  it('simulate makes the partitions of its days', async () => {
    const pickup = Date.parse('2021-03-10T10:00:00Z');
    const result = await insertRides(t.db, [{ rideId: 'sim-p-1', taxiId: null, pickupLocalMs: pickup, dropoffLocalMs: pickup + 600_000, distanceKm: 1 }], 'UTC');
    expect(result).toEqual({ inserted: 1, alreadyPresent: 0 });
    expect(await partitionDays()).toContain('2021-03-10');
    // again: already present, on its day
    expect(await insertRides(t.db, [{ rideId: 'sim-p-1', taxiId: null, pickupLocalMs: pickup, dropoffLocalMs: pickup + 600_000, distanceKm: 1 }], 'UTC')).toEqual({ inserted: 0, alreadyPresent: 1 });
  });

  it('a time-zone change moves rides into the partitions of their new days, made for them', async () => {
    // 02:00 UTC on 2021-05-01 is 2021-04-30 in New York: a day that has no partition yet
    await loadRideBatches(t.db, RIDES_CSV_TARGET, batches(ride('tz-move', '2021-05-01', 2), ride('tz-stay', '2021-05-01', 15)));
    expect(await partitionDays()).not.toContain('2021-04-30');
    const change = await changeServiceTimeZone(t.db, 'America/New_York', { moveRides: true });
    expect(change.moves).toContainEqual({ from: '2021-05-01', to: '2021-04-30', rides: 1 });
    expect(await ridesOf('tz-move')).toMatchObject([{ day: '2021-04-30', part: 'rides_2021_04_30' }]);
    expect(await ridesOf('tz-stay')).toMatchObject([{ day: '2021-05-01', part: 'rides_2021_05_01' }]);
    await changeServiceTimeZone(t.db, 'UTC', { moveRides: true });
    expect(await ridesOf('tz-move')).toMatchObject([{ day: '2021-05-01', part: 'rides_2021_05_01' }]);
  });

  it('a correction across midnight updates the one ride (either way); one moving it further is a new ride', async () => {
    await loadRideBatches(t.db, { ...RIDES_CSV_TARGET, fileName: 'first' }, batches(ride('c-back', '2021-06-10', 0.5), ride('c-far', '2021-06-10', 12), ride('c-fwd', '2021-06-10', 23.5)));
    await t.db.knex('rides').whereIn('ride_id', ['c-back', 'c-far', 'c-fwd']).update({ is_outlier: false, outlier_score: 0 });
    const account = await loadRideBatches(
      t.db,
      { ...RIDES_CSV_TARGET, fileName: 'corrections' },
      batches(ride('c-back', '2021-06-09', 23.5, 3), ride('c-fwd', '2021-06-11', 0.5, 4), ride('c-far', '2021-06-13', 12, 5)),
    );
    expect(account).toMatchObject({ rowsRead: 3, rowsCorrected: 2, rowsLoaded: 1, rowsAlreadyPresent: 0 });
    expect(await ridesOf('c-back')).toEqual([{ day: '2021-06-09', distance_km: 3, is_outlier: null, part: 'rides_2021_06_09' }]);
    expect(await ridesOf('c-fwd')).toEqual([{ day: '2021-06-11', distance_km: 4, is_outlier: null, part: 'rides_2021_06_11' }]);
    // three days away: outside the window, loaded as a new ride; the old one keeps its day and flag
    expect(await ridesOf('c-far')).toEqual([
      { day: '2021-06-10', distance_km: 2, is_outlier: false, part: 'rides_2021_06_10' },
      { day: '2021-06-13', distance_km: 5, is_outlier: null, part: 'rides_2021_06_13' },
    ]);
  });

  it("a day's read scans only that day's partition", async () => {
    const plan = (await t.db.knex.raw(`explain (format json) select ride_id, distance_km from rides where service_date = '2021-02-02'::date`)).rows[0]['QUERY PLAN'];
    const text = JSON.stringify(plan);
    const scanned = [...text.matchAll(/"Relation Name":"(rides_[0-9_]+)"/g)].map((m) => m[1]);
    expect(scanned.length).toBeGreaterThan(0);
    expect(new Set(scanned)).toEqual(new Set(['rides_2021_02_02']));
    expect((await partitionDays()).length).toBeGreaterThan(5);
  });

  it('ensureDayPartitions is idempotent and rejects what is not a date', async () => {
    const before = await partitionDays();
    await t.db.knex.transaction((trx) => ensureDayPartitions(trx, ['2021-02-01', '2021-02-01']));
    expect(await partitionDays()).toEqual(before);
    await expect(t.db.knex.transaction((trx) => ensureDayPartitions(trx, ["2021-01-01'; drop table rides; --"]))).rejects.toThrow(/not an ISO date/);
  });

  it.runIf(target.name === 'server')('two processes making the same day wait for each other, and both succeed', async () => {
    const other = await openDatabase({ databaseUrl: t.url! });
    try {
      const first = await t.db.knex.transaction();
      await ensureDayPartitions(first, ['2022-01-01']);
      let secondDone = false;
      const second = other.knex.transaction(async (trx) => {
        await ensureDayPartitions(trx, ['2022-01-01', '2022-01-02']);
        await trx.raw(`insert into rides (ride_id, pickup_at, dropoff_at, distance_km, service_date) values ('race', now(), now(), 1, '2022-01-01')`);
      }).then(() => {
        secondDone = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondDone).toBe(false); // behind the first one's partition lock
      await first.commit();
      await second;
      expect(await partitionDays()).toEqual(expect.arrayContaining(['2022-01-01', '2022-01-02']));
      // a reader of rides is not blocked by a load's transaction that made a partition
      const load = await t.db.knex.transaction();
      try {
        await ensureDayPartitions(load, ['2022-02-01']);
        const read = await other.knex.raw(`select count(*)::int as n from rides where service_date = '2022-01-01'`);
        expect(read.rows[0].n).toBe(1);
      } finally {
        await load.rollback();
      }
    } finally {
      await other.close();
    }
  });
});
