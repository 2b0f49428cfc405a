// A load's days that had no partition are filled as tables of their own and attached afterwards
// (rideLoads.ts NewDays, ridePartitions.ts startDayTables/attachDayTables). What must hold: the
// same rides and the same account as a load into days whose partitions exist, partitions made
// exactly as ensureDayPartitions makes them, repeats across batches found in the unattached
// tables, and nothing left behind by a load that fails.
import { describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { RIDES_CSV_TARGET } from '../support/loadTarget.js';
import { loadRideBatches, type FileLoadAccount, type FileLoadTarget, type RideRow, type RowBatch } from '../../src/storage/rideLoads.js';
import { ensureDayPartitions, listDayPartitions } from '../../src/storage/ridePartitions.js';

const DAY_MS = 86_400_000;
const dayOf = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);

function ride(id: string, isoDay: string, minute: number, distanceKm = 2): RideRow {
  const pickup = Date.parse(`${isoDay}T00:00:00Z`) + minute * 60_000;
  return { rideId: id, taxiId: null, pickupAtMs: pickup, dropoffAtMs: pickup + 600_000, serviceDay: dayOf(isoDay), distanceKm };
}

const batchOf = (rides: RideRow[]): RowBatch => ({ each: (onRide) => rides.forEach(onRide) });

async function* batches(groups: RideRow[][], failAfter?: number): AsyncGenerator<RowBatch> {
  for (let i = 0; i < groups.length; i++) {
    if (i === failAfter) throw new Error('the disk went away');
    yield batchOf(groups[i]);
  }
}

// A file in day order, two rides per batch: each day's table is attached once two batches pass
// without its rides, and a late ride of the first day comes after that. Repeats: one within a
// batch, one across batches into a day still open (other content: the first row stays), one of
// a ride whose day was attached meanwhile.
function file(prefix: string, days: string[]): RideRow[][] {
  const [d1, d2, d3] = days;
  const r = (n: number, day: string, minute: number, km = 2) => ride(`${prefix}-${n}`, day, minute, km);
  return [
    [r(1, d1, 10), r(2, d1, 20)],
    [r(3, d1, 30), r(4, d2, 10), r(4, d2, 10)],
    [r(5, d2, 20), r(3, d1, 30, 7)],
    [r(6, d2, 30), r(7, d3, 10)],
    [r(8, d3, 20), r(9, d3, 30)],
    [r(10, d1, 1430), r(1, d1, 10), r(11, d3, 40)],
  ];
}

const TARGET: FileLoadTarget = { ...RIDES_CSV_TARGET, batchRides: 2 };

describe.each(databaseTargets)('new days filled as tables and attached, on $name', (target) => {
  const t = useTestDatabase(target);
  const ridesOf = async (prefix: string) =>
    (await t.db.knex.raw(`select substr(ride_id, ${prefix.length + 2}) as n, to_char(service_date, 'YYYY-MM-DD') as day,
        (extract(epoch from pickup_at) * 1000)::float8 as pickup_ms, distance_km, source, tableoid::regclass::text as part
      from rides where ride_id like ? order by 1`, [`${prefix}-%`])).rows as { n: string; day: string; part: string }[];
  const accountOf = (a: FileLoadAccount) => ({
    read: a.rowsRead,
    loaded: a.rowsLoaded,
    present: a.rowsAlreadyPresent,
    corrected: a.rowsCorrected,
    days: a.serviceDays.map((d) => d.rides),
  });

  it('loads the same rides, with the same account, as into days whose partitions exist', async () => {
    const fresh = ['2022-03-01', '2022-03-02', '2022-03-03'];
    const made = ['2022-04-01', '2022-04-02', '2022-04-03'];
    const before = (await listDayPartitions(t.db.knex)).map((p) => p.day);
    expect(before).not.toEqual(expect.arrayContaining([fresh[0]]));
    await t.db.knex.transaction((trx) => ensureDayPartitions(trx, made));

    const intoNew = await loadRideBatches(t.db, TARGET, batches(file('nd', fresh)));
    const intoMade = await loadRideBatches(t.db, TARGET, batches(file('md', made)));

    expect(accountOf(intoNew)).toEqual(accountOf(intoMade));
    // 14 rows: a repeat within a batch, two across batches (one into an attached day)
    expect(accountOf(intoNew)).toEqual({ read: 14, loaded: 11, present: 3, corrected: 0, days: [4, 3, 4] });
    const shift = (rows: { day: string; part: string; pickup_ms: number }[], to: string[], from: string[]) =>
      rows.map((r) => ({ ...r, day: to[from.indexOf(r.day)], part: `rides_${to[from.indexOf(r.day)].replaceAll('-', '_')}`, pickup_ms: r.pickup_ms - Date.parse(`${from[0]}T00:00:00Z`) }));
    const newRows = await ridesOf('nd');
    expect(shift(newRows as never, made, fresh)).toEqual(shift((await ridesOf('md')) as never, made, made));
    // the first of the two rows of ride 3 stays
    expect(newRows.find((r) => r.n === '3')).toMatchObject({ distance_km: 2 });
    expect(newRows.find((r) => r.n === '10')).toMatchObject({ day: fresh[0], part: 'rides_2022_03_01' });

    // each new day is a partition as ensureDayPartitions makes it: primary key, fillfactor, no check left
    for (const day of fresh) expect((await listDayPartitions(t.db.knex)).map((p) => p.day)).toContain(day);
    const shape = async (table: string) => ({
      constraints: (await t.db.knex.raw(`select contype from pg_constraint where conrelid = ?::regclass order by 1`, [table])).rows.map((r: { contype: string }) => r.contype),
      indexes: (await t.db.knex.raw(`select indexdef from pg_indexes where tablename = ?`, [table])).rows.map((r: { indexdef: string }) => r.indexdef.replaceAll(table, 'T')),
      options: (await t.db.knex.raw(`select reloptions from pg_class where oid = ?::regclass`, [table])).rows[0].reloptions,
    });
    expect(await shape('rides_2022_03_02')).toEqual(await shape('rides_2022_04_02'));
    expect((await shape('rides_2022_03_02')).constraints).toContain('p');
    expect((await shape('rides_2022_03_02')).constraints).not.toContain('c'); // the bound's check is gone

    // and it is read through rides by its key, like any partition
    const byKey = await t.db.knex.raw(`select count(*)::int as n from rides where service_date = '2022-03-02' and ride_id = 'nd-5'`);
    expect(byKey.rows[0].n).toBe(1);
  });

  it('a load of new days again finds every ride present (and the repeat of ride 3 with other content is its correction)', async () => {
    const days = ['2022-05-01', '2022-05-02', '2022-05-03'];
    await loadRideBatches(t.db, TARGET, batches(file('again', days)));
    const second = await loadRideBatches(t.db, TARGET, batches(file('again', days)));
    expect(accountOf(second)).toEqual({ read: 14, loaded: 0, present: 13, corrected: 1, days: [] });
  });

  it('a batch spread over more new days than it makes tables for is written through rides, each ride on its day', async () => {
    const days = Array.from({ length: 20 }, (_, i) => `2022-07-${String(i + 1).padStart(2, '0')}`);
    const rides = days.flatMap((day, i) => [ride(`many-${i}-a`, day, 10), ride(`many-${i}-b`, day, 20)]);
    // days 1-2 as tables of their own; days 3-20 (18) in one batch: attached first
    const account = await loadRideBatches(t.db, TARGET, batches([rides.slice(0, 4), rides.slice(4)]));
    expect(accountOf(account)).toMatchObject({ read: 40, loaded: 40, present: 0 });
    const rows = await ridesOf('many');
    expect(rows).toHaveLength(40);
    for (const r of rows) expect(r.part).toBe(`rides_${r.day.replaceAll('-', '_')}`);
    expect((await listDayPartitions(t.db.knex)).map((p) => p.day)).toEqual(expect.arrayContaining(days));
  });

  it('a load that fails mid-file leaves no table, partition or ride of its new days', async () => {
    const days = ['2022-06-01', '2022-06-02', '2022-06-03'];
    const before = await listDayPartitions(t.db.knex);
    await expect(loadRideBatches(t.db, TARGET, batches(file('fail', days), 5))).rejects.toThrow('the disk went away');
    expect(await listDayPartitions(t.db.knex)).toEqual(before);
    const tables = await t.db.knex.raw(`select to_regclass('rides_2022_06_01')::text as a, to_regclass('rides_2022_06_03')::text as c`);
    expect(tables.rows[0]).toEqual({ a: null, c: null });
    expect(await ridesOf('fail')).toEqual([]);
  });
});
