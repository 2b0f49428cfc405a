import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, useTestDatabase } from '../support/databases.js';
import { insertRides, readRidesForDay, rideIdAt, countRidesByDay } from '../../src/storage/rides.js';
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
});
