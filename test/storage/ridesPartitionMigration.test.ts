// Migration 012 on a database made with the schema before it (up to 011): every ride and flag
// kept, one partition per day, the views and the reader's grants as before, and down reverses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { migrations } from '../../migrations/index.js';

const BEFORE_012 = migrations.slice(0, migrations.findIndex((m) => m.name.startsWith('012_')));

// Every column as text, per ride, in ride order: what must survive the migration unchanged.
const SNAPSHOT = `select ride_id, row_to_json(r)::text as row from rides r order by ride_id`;

describe.each(databaseTargets)('migration 012 (rides by service day) on $name', (target) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await target.createUnmigrated();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('keeps every ride and flag of a database made with 011, a partition per day, views and grants', async () => {
    const { knex } = t.db;
    await migrateToLatest(t.db, BEFORE_012);
    expect(BEFORE_012.at(-1)!.name).toBe('011_flag_explanations_by_zone_pair');
    const [{ id: runId }] = await knex('detection_runs')
      .insert({ service_date: '2021-01-02', status: 'succeeded', trigger: 'cli', algorithm: 'dbscan', parameters: '{}' })
      .returning('id');
    // three days, TLC columns on some, flags of every kind (null, false, true with reason and score)
    await knex.raw(`
      insert into rides (ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date, is_outlier, outlier_reason,
        outlier_score, detection_run_id, source, vendor_id, passenger_count, trip_distance_mi, ratecode_id,
        store_and_fwd_flag, pickup_zone_id, dropoff_zone_id, payment_type, fare_amount, tip_amount, total_amount, airport_fee)
      select 'm-' || n, case when n % 3 = 0 then null else 'taxi-' || (n % 7) end,
        timestamptz '2021-01-01 10:00Z' + n * interval '37 minutes',
        timestamptz '2021-01-01 10:00Z' + n * interval '37 minutes' + (n % 40 + 1) * interval '1 minute',
        n * 0.37, (timestamptz '2021-01-01 10:00Z' + n * interval '37 minutes')::date,
        case n % 4 when 0 then null when 1 then false else true end,
        case when n % 4 in (2, 3) then 'noise' end,
        case when n % 4 = 2 then 1.5 + n / 100.0 end,
        case when n % 4 <> 0 then ${Number(runId)} end,
        case when n % 2 = 0 then 'tlc-yellow' else 'rides-csv' end,
        case when n % 2 = 0 then 2 end, case when n % 2 = 0 then 1 end, case when n % 2 = 0 then n * 0.23 end,
        case when n % 2 = 0 then 1 end, case when n % 2 = 0 then 'N' end,
        case when n % 2 = 0 then 132 end, case when n % 2 = 0 then 230 end, case when n % 2 = 0 then 1 end,
        case when n % 2 = 0 then 10.5 + n end, case when n % 2 = 0 then 2.25 end, case when n % 2 = 0 then 15.75 + n end,
        case when n % 2 = 0 then 1.25 end
      from generate_series(1, 120) n`);
    const before = (await knex.raw(SNAPSHOT)).rows as { ride_id: string; row: string }[];
    const days = (await knex.raw(`select count(distinct service_date)::int as n from rides`)).rows[0].n as number;
    expect(days).toBeGreaterThanOrEqual(3);
    const outliersBefore = (await knex.raw(`select count(*)::int as n from ride_outliers`)).rows[0].n as number;
    const explainedBefore = (await knex.raw(`select ride_id, expected_from from ride_flag_explanations order by ride_id`)).rows;
    const commentsBefore = (await knex.raw(`select a.attname, col_description(a.attrelid, a.attnum) as c from pg_attribute a
      where a.attrelid = 'rides'::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`)).rows;

    await migrateToLatest(t.db);

    expect((await knex.raw(SNAPSHOT)).rows).toEqual(before);
    const partitions = (await knex.raw(`select c.relname, c.reloptions from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'rides'::regclass order by 1`)).rows as { relname: string; reloptions: string[] }[];
    expect(partitions).toHaveLength(days);
    expect(partitions[0]).toEqual({ relname: 'rides_2021_01_01', reloptions: ['fillfactor=50'] });
    expect((await knex.raw(`select relkind from pg_class where oid = 'rides'::regclass`)).rows[0].relkind).toBe('p');
    const key = (await knex.raw(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'rides'::regclass and contype = 'p'`)).rows;
    expect(key).toEqual([{ def: 'PRIMARY KEY (service_date, ride_id)' }]);
    // each partition's rows are its day's
    const misplaced = (await knex.raw(`select count(*)::int as n from rides r
      where r.tableoid::regclass::text <> 'rides_' || to_char(r.service_date, 'YYYY_MM_DD')`)).rows[0].n;
    expect(misplaced).toBe(0);
    expect((await knex.raw(`select count(*)::int as n from ride_outliers`)).rows[0].n).toBe(outliersBefore);
    expect((await knex.raw(`select ride_id, expected_from from ride_flag_explanations order by ride_id`)).rows).toEqual(explainedBefore);
    expect((await knex.raw(`select a.attname, col_description(a.attrelid, a.attnum) as c from pg_attribute a
      where a.attrelid = 'rides'::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`)).rows).toEqual(commentsBefore);
    // the reader role keeps SELECT on the table and views when it exists 
    const reader = (await knex.raw(`select exists (select from pg_roles where rolname = 'ridescan_reader') as e`)).rows[0].e as boolean;
    if (reader) {
      const grants = (await knex.raw(`select r, has_table_privilege('ridescan_reader', r, 'select') as ok
        from unnest(array['rides', 'ride_outliers', 'ride_flag_explanations', 'prunes']) r order by r`)).rows;
      expect(grants.every((g: { ok: boolean }) => g.ok)).toBe(true);
    }
    // a new ride on a day with no partition fails until the day has one: no default partition
    await expect(knex.raw(`insert into rides (ride_id, pickup_at, dropoff_at, distance_km, service_date)
      values ('late', now(), now(), 1, '2030-01-01')`)).rejects.toThrow(/no partition/);
  });

  it('down makes the one plain table again with every ride', async () => {
    const { knex } = t.db;
    const before = (await knex.raw(SNAPSHOT)).rows;
    // 012's down in a transaction, as knex's migrator runs it
    const m012 = migrations.find((m) => m.name.startsWith('012_'))!;
    await knex.transaction(async (trx) => {
      await m012.down(trx);
      await trx('ridescan_migrations').where({ name: m012.name }).delete();
    });
    expect((await knex.raw(`select relkind from pg_class where oid = 'rides'::regclass`)).rows[0].relkind).toBe('r');
    expect((await knex.raw(SNAPSHOT)).rows).toEqual(before);
    expect((await knex.raw(`select count(*)::int as n from ride_outliers`)).rows[0].n).toBeGreaterThan(0);
    await migrateToLatest(t.db);
    expect((await knex.raw(SNAPSHOT)).rows).toEqual(before);
  });
});
