import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { insertRides, readRidesForDay, rideIdAt, countRidesByDay, idOrder } from '../../src/storage/rides.js';
import { migrateToLatest } from '../../src/storage/migrate.js';

const ms = (iso: string) => Date.parse(`${iso}Z`);

describe.each(databaseTargets)('rides storage on $name', (target) => {
  const t = useTestDatabase(target);

  it('creates the contract columns with their types', async () => {
    const columns = await t.db.knex('information_schema.columns')
      .select('column_name', 'data_type', 'is_nullable', 'is_generated')
      .where({ table_name: 'rides' })
      .whereRaw('table_schema = current_schema()');
    const byName: Record<string, { is_generated: string }> = Object.fromEntries(columns.map((c: { column_name: string; is_generated: string }) => [c.column_name, c]));
    const expectations: [string, string, 'YES' | 'NO'][] = [
      ['ride_id', 'text', 'NO'],
      ['taxi_id', 'text', 'YES'],
      ['pickup_at', 'timestamp with time zone', 'NO'],
      ['dropoff_at', 'timestamp with time zone', 'NO'],
      ['distance_km', 'double precision', 'NO'],
      ['service_date', 'date', 'NO'],
      ['is_outlier', 'boolean', 'YES'],
      ['outlier_reason', 'text', 'YES'],
      ['outlier_score', 'real', 'YES'],
      ['detection_run_id', 'bigint', 'YES'],
    ];
    for (const [name, type, nullable] of expectations) {
      expect(byName[name], name).toMatchObject({ data_type: type, is_nullable: nullable });
    }
    expect(byName.duration_min.is_generated).toBe('ALWAYS');
  });

  it('runs the migrations again as a no-op that says so', async () => {
    const again = await migrateToLatest(t.db);
    expect(again.map((r) => r.status)).toEqual(again.map(() => 'already applied'));
  });

  it('derives the service day in the configured zone, duration from the timestamps, and inserts once', async () => {
    const rides = [
      // 23:30 in New York on Jan 1 is 04:30 UTC on Jan 2: its service day is Jan 1
      { rideId: 'ny-late', taxiId: 'T1', pickupLocalMs: ms('2021-01-01T23:30:00'), dropoffLocalMs: ms('2021-01-01T23:51:30'), distanceKm: 7.25 },
      { rideId: 'ny-early', taxiId: null, pickupLocalMs: ms('2021-01-02T00:10:00'), dropoffLocalMs: ms('2021-01-02T00:20:00'), distanceKm: 1.5 },
    ];
    expect(await insertRides(t.db, rides, 'America/New_York')).toEqual({ inserted: 2, alreadyPresent: 0 });
    expect(await insertRides(t.db, rides, 'America/New_York')).toEqual({ inserted: 0, alreadyPresent: 2 });

    const row = await t.db.knex('rides')
      .select('taxi_id', 'duration_min', 'distance_km', t.db.knex.raw(`to_char(service_date, 'YYYY-MM-DD') as day`), t.db.knex.raw(`to_char(pickup_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as pickup_utc`), 'is_outlier')
      .where({ ride_id: 'ny-late' })
      .first();
    expect(row).toMatchObject({ taxi_id: 'T1', duration_min: 21.5, distance_km: 7.25, day: '2021-01-01', pickup_utc: '2021-01-02 04:30', is_outlier: null });
    expect(await countRidesByDay(t.db, '2021-01-01', '2021-01-31')).toEqual(new Map([['2021-01-01', 1], ['2021-01-02', 1]]));

    const day = await readRidesForDay(t.db, '2021-01-01');
    expect(day.count).toBe(1);
    expect(rideIdAt(day, 0)).toBe('ny-late');
    expect(day.distanceKm[0]).toBe(7.25);
    expect(day.durationMin[0]).toBe(21.5);
    expect(day.previousFlag[0]).toBe(-1);
    expect(day.previousReason[0]).toBeNull();
    expect(Number.isNaN(day.previousScore[0])).toBe(true);
  });

  it('reads an empty day as zero rides', async () => {
    const day = await readRidesForDay(t.db, '1999-12-31');
    expect(day.count).toBe(0);
  });

  it('reads many rides with odd ids exactly', async () => {
    const n = 5000;
    const rides = Array.from({ length: n }, (_, i) => ({
      rideId: `odd\t${i}\\ é "${'x'.repeat(i % 40)}`,
      taxiId: i % 3 === 0 ? null : `T${i % 17}`,
      pickupLocalMs: ms('2021-02-03T00:00:00') + i * 10_000,
      dropoffLocalMs: ms('2021-02-03T00:00:00') + i * 10_000 + (i % 50) * 60_000,
      distanceKm: i / 7,
    }));
    await insertRides(t.db, rides, 'UTC');
    const day = await readRidesForDay(t.db, '2021-02-03');
    expect(day.count).toBe(n);
    const seen = new Map<string, { d: number; t: number }>();
    for (let i = 0; i < day.count; i++) seen.set(rideIdAt(day, i), { d: day.distanceKm[i], t: day.durationMin[i] });
    for (const [i, r] of rides.entries()) expect(seen.get(r.rideId)).toEqual({ d: r.distanceKm, t: i % 50 });
  });

  it('reads a day in the same order after its rows moved between pages, with every column kept to its ride', async () => {
    const rides = Array.from({ length: 3000 }, (_, i) => ({
      rideId: `move-${(i * 7919) % 3000}`,
      taxiId: null,
      pickupLocalMs: ms('2021-02-05T00:00:00') + i * 20_000,
      dropoffLocalMs: ms('2021-02-05T00:00:00') + i * 20_000 + (1 + (i % 40)) * 60_000,
      distanceKm: 1 + i / 100,
    }));
    await insertRides(t.db, rides, 'UTC');
    const ids = (d: Awaited<ReturnType<typeof readRidesForDay>>) => Array.from({ length: d.count }, (_, i) => rideIdAt(d, i));
    const before = await readRidesForDay(t.db, '2021-02-05');
    // the same rows written again in the reverse order, as a scoring's UPDATE moves rows between pages
    const pageOrder = async () => (await t.db.knex.raw(`select ride_id from rides where service_date = '2021-02-05'`)).rows.map((r: { ride_id: string }) => r.ride_id);
    const pagesBefore = await pageOrder();
    await t.db.knex.raw(`delete from rides where service_date = '2021-02-05'`);
    await insertRides(t.db, [...rides].reverse(), 'UTC');
    expect(await pageOrder()).not.toEqual(pagesBefore);
    await t.db.knex.raw(`update rides set is_outlier = (distance_km > 20), outlier_score = distance_km where service_date = '2021-02-05' and ride_id like 'move-1%'`);
    const after = await readRidesForDay(t.db, '2021-02-05');
    expect(ids(after)).toEqual(ids(before));
    const byId = new Map(rides.map((r) => [r.rideId, r]));
    for (let i = 0; i < after.count; i++) {
      const ride = byId.get(rideIdAt(after, i))!;
      expect(after.distanceKm[i]).toBe(ride.distanceKm);
      expect(after.durationMin[i]).toBe((ride.dropoffLocalMs - ride.pickupLocalMs) / 60_000);
      expect(after.previousFlag[i]).toBe(rideIdAt(after, i).startsWith('move-1') ? (ride.distanceKm > 20 ? 1 : 0) : -1);
    }
  });
});

describe('idOrder', () => {
  const layout = (ids: string[]) => {
    const parts = ids.map((id) => Buffer.from(id, 'utf8'));
    const starts = new Uint32Array(ids.length);
    const lengths = new Int32Array(ids.length);
    let at = 0;
    parts.forEach((p, i) => ((starts[i] = at), (lengths[i] = p.length), (at += p.length)));
    return { buffer: Buffer.concat(parts), starts, lengths };
  };
  const ordered = (ids: string[]) => {
    const { buffer, starts, lengths } = layout(ids);
    return Array.from(idOrder(buffer, starts, lengths), (i) => ids[i]);
  };

  it('orders the same ids the same way whatever order they come in, ids alike in their last 16 bytes too', () => {
    const ids = [
      ...Array.from({ length: 2000 }, (_, i) => `ride-${i}`),
      // 40 ids whose last 16 bytes are the same: one hash, ordered by their bytes
      ...Array.from({ length: 40 }, (_, i) => `${String.fromCharCode(65 + (i % 26))}${i}-suffix-shared-by-all`.padStart(40, '0')),
    ];
    const reference = ordered(ids);
    expect(new Set(reference).size).toBe(ids.length);
    let seed = 7;
    for (let round = 0; round < 3; round++) {
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const j = seed % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      expect(ordered(shuffled)).toEqual(reference);
    }
  });
});
