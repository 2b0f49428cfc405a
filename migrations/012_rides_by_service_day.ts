// `rides` partitioned by service day (issue 13): one partition per day, so that a day's read,
// scoring and flag write touch only that day's table and index, and `ridescan prune` drops old
// days as tables (milliseconds, no row-by-row delete, no bloat left for vacuum).
//
// - partition by range (service_date), one partition per day named rides_YYYY_MM_DD, each
//   `with (fillfactor = 50)` as rides had (HOT flag updates, migration 001). A partitioned table
//   takes no storage parameters itself: each partition carries it.
// - primary key (service_date, ride_id): a unique constraint on a partitioned table must hold the
//   partition key. A ride is then identified within its day; the loader looks a ride id up on its
//   own day and the two neighbouring ones (storage/rideLoads.ts, docs/loading.md).
// - no index on service_date alone any more: within a partition every row has the same day, and
//   the primary key leads with it.
// - no DEFAULT partition: with one, every later partition created would have to scan it. Days get
//   their partition on demand when rides arrive (storage/ridePartitions.ts).
// - the prunes table records every prune (when, before which day, the days, the rides dropped, by whom).
//
// Existing rides are kept, flags and all: a new partitioned table, a partition for each day that
// has rides, insert-select, then the names swapped and the old table dropped, in the migration's
// transaction. The views on rides (ride_outliers, ride_flag_explanations) are made again from the
// earlier migrations' SQL, and the reader role's grants given again (migration 006).
//
// Planning cost, measured (EXPLAIN ANALYZE's "Planning Time", median of 7, in a database with N
// day partitions of 20 rides; see docs/schema.md for the command):
//                                      N = 1     N = 400   N = 1,500
//   one day's read       server          0.06 ms   0.06 ms   0.06 ms
//                        PGlite          0.09 ms   0.17 ms   0.11 ms
//   ride_flag_explanations, one day      server 0.8-1.0 ms, PGlite 1.3-8 ms whatever N
//   14 days (status)     server                    0.45 ms   0.42 ms
//                        PGlite                    4.4 ms    2.8 ms
//   by ride_id alone     server                    12 ms     67 ms      (what the loader no longer does)
//                        PGlite                    20 ms     162 ms
//   count(*) of all      server                              50 ms
//                        PGlite                              103 ms
// A query that names its days plans as fast as before; one that reads every day pays ~35-70 µs
// per partition to plan and takes a lock per partition (and index) until it ends. Making a day's
// partition costs ~10-15 ms, once per day.
//
// The migration makes a partition for every day of the old table in its one transaction, four
// locks each until COMMIT: on a server with the default lock table (max_locks_per_transaction 64
// × max_connections 100) a database of around 1,500 days fails with "out of shared memory" (1,500
// did here, PostgreSQL 15);
// the error then says to raise max_locks_per_transaction for the migration.
//
// down reverses it: one plain table again (ride_id primary key, as 001 and 002 made it). It fails
// on a unique violation if a ride id is on two days (a company correction that moved a ride by
// more than a day was loaded as a new ride): those rides have to be resolved by hand first.
import type { Knex } from 'knex';
import { grantToReader } from './006_query_reader.js';
import { RIDE_OUTLIERS_SQL, RIDE_OUTLIERS_COMMENT } from './003_ride_outliers_view.js';
import { FLAG_EXPLANATIONS_VIEW } from './008_flag_explanations.js';
import { VIEW_SQL as FLAG_EXPLANATIONS_SQL, VIEW_COMMENT as FLAG_EXPLANATIONS_COMMENT } from './011_flag_explanations_by_zone_pair.js';

export const PRUNES_TABLE = 'prunes';

/** SQL expression: the name of the partition of the date expression `day` (rides_2021_01_01). */
export function partitionNameSql(day: string): string {
  return `'rides_' || to_char(${day}, 'YYYY_MM_DD')`;
}

/** The name of a day's partition, from an ISO date. */
export function partitionName(isoDay: string): string {
  return `rides_${isoDay.replaceAll('-', '_')}`;
}

// Every column as rides has them after migrations 001 and 002, in the same order (a `select *`
// and the README's queries see the same table).
const COLUMNS = `
      ride_id text collate "C" not null,
      taxi_id text,
      pickup_at timestamptz not null,
      dropoff_at timestamptz not null,
      distance_km double precision not null,
      duration_min double precision generated always as
        (extract(epoch from (dropoff_at - pickup_at))::double precision / 60) stored,
      service_date date not null,
      loaded_at timestamptz not null default now(),
      is_outlier boolean,
      outlier_reason text,
      outlier_score real,
      detection_run_id bigint,
      source text,
      load_id bigint,
      vendor_id smallint,
      passenger_count smallint,
      trip_distance_mi double precision,
      ratecode_id smallint,
      store_and_fwd_flag text,
      pickup_zone_id smallint,
      dropoff_zone_id smallint,
      payment_type smallint,
      trip_type smallint,
      fare_amount double precision,
      extra double precision,
      mta_tax double precision,
      tip_amount double precision,
      tolls_amount double precision,
      ehail_fee double precision,
      improvement_surcharge double precision,
      congestion_surcharge double precision,
      airport_fee double precision,
      total_amount double precision`;

/** The stored columns (duration_min is generated): what insert-select copies. */
const STORED_COLUMNS = `ride_id, taxi_id, pickup_at, dropoff_at, distance_km, service_date, loaded_at,
  is_outlier, outlier_reason, outlier_score, detection_run_id, source, load_id, vendor_id,
  passenger_count, trip_distance_mi, ratecode_id, store_and_fwd_flag, pickup_zone_id,
  dropoff_zone_id, payment_type, trip_type, fare_amount, extra, mta_tax, tip_amount, tolls_amount,
  ehail_fee, improvement_surcharge, congestion_surcharge, airport_fee, total_amount`;

// A partition for each day that has rides in the old table, made in one statement (a database of a
// few hundred days makes a few hundred tables: one round trip, not one per day).
const PARTITION_EACH_DAY = `
  do $do$
  declare d date;
  begin
    for d in select distinct service_date from rides order by 1 loop
      execute format('create table %I partition of rides_by_day for values from (%L) to (%L) with (fillfactor = 50)',
        ${partitionNameSql('d')}, d, d + 1);
    end loop;
  end
  $do$`;

/** The comments of rides' columns and of the table, as statements for the table `target`. */
async function commentsOf(knex: Knex, target: string): Promise<string[]> {
  const rows = (
    await knex.raw(`select a.attname, col_description(a.attrelid, a.attnum) as comment
      from pg_attribute a
      where a.attrelid = 'rides'::regclass and a.attnum > 0 and not a.attisdropped
        and col_description(a.attrelid, a.attnum) is not null`)
  ).rows as { attname: string; comment: string }[];
  const table = (await knex.raw(`select obj_description('rides'::regclass, 'pg_class') as comment`)).rows[0]?.comment as string | null;
  const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;
  return [
    ...rows.map((r) => `comment on column ${target}."${r.attname}" is ${quote(r.comment)}`),
    ...(table ? [`comment on table ${target} is ${quote(table)}`] : []),
  ];
}

/**
 * Replaces rides by the table `create` makes under the name rides_by_day (every row copied, the
 * comments kept), then makes the views again and grants the reader role what it had.
 */
async function rebuildRides(knex: Knex, create: string, afterCreate: string[], primaryKey: string): Promise<void> {
  // the views read rides: they go first and come back on the new table
  await knex.raw(`drop view ${FLAG_EXPLANATIONS_VIEW}`);
  await knex.raw('drop view ride_outliers');
  const comments = await commentsOf(knex, 'rides');
  await knex.raw(create);
  for (const statement of afterCreate) await knex.raw(statement);
  const copied = await knex.raw(`insert into rides_by_day (${STORED_COLUMNS}) select ${STORED_COLUMNS} from rides`);
  const before = Number((await knex.raw('select count(*) as n from rides')).rows[0].n);
  // the whole migration is one transaction: a difference rolls all of it back
  if (Number(copied.rowCount) !== before) throw new Error(`copied ${copied.rowCount} rides of ${before}`);
  await knex.raw('drop table rides');
  await knex.raw('alter table rides_by_day rename to rides');
  await knex.raw(`alter index rides_by_day_pkey rename to ${primaryKey}`);
  for (const statement of comments) await knex.raw(statement);
  await knex.raw(`create view ride_outliers as ${RIDE_OUTLIERS_SQL}`);
  await knex.raw(`comment on view ride_outliers is ${RIDE_OUTLIERS_COMMENT}`);
  await knex.raw(`create view ${FLAG_EXPLANATIONS_VIEW} as ${FLAG_EXPLANATIONS_SQL}`);
  await knex.raw(`comment on view ${FLAG_EXPLANATIONS_VIEW} is ${FLAG_EXPLANATIONS_COMMENT}`);
  // the reader role of migration 006 had SELECT on the old table and views (when it exists)
  for (const relation of ['rides', 'ride_outliers', FLAG_EXPLANATIONS_VIEW]) await grantToReader(knex, relation);
}

export async function up(knex: Knex): Promise<void> {
  try {
    await upInTransaction(knex);
  } catch (error) {
    if ((error as { code?: string }).code !== '53200') throw error;
    throw new Error(
      `migration 012 makes one partition per service day in one transaction, and the server's lock table is too small for this database's days ` +
        `(${(error as Error).message}): raise max_locks_per_transaction so that it times max_connections exceeds 4 locks per day with rides ` +
        `and what other sessions hold (e.g. 256 at 100 connections for up to ~5,000 days), restart the server, and migrate again; nothing was changed`,
    );
  }
}

async function upInTransaction(knex: Knex): Promise<void> {
  await rebuildRides(
    knex,
    `create table rides_by_day (${COLUMNS},
      primary key (service_date, ride_id)
    ) partition by range (service_date)`,
    [PARTITION_EACH_DAY],
    'rides_pkey',
  );
  await knex.raw(`comment on table rides is
    'one row per ride; partitioned by service_date, one partition per day (rides_YYYY_MM_DD), made when rides arrive and dropped by ridescan prune'`);

  await knex.raw(`
    create table ${PRUNES_TABLE} (
      id bigint generated always as identity primary key,
      pruned_at timestamptz not null default now(),
      before date not null,
      days date[] not null,
      rides_dropped bigint not null,
      by_user text not null default current_user,
      hostname text,
      pid integer
    )`);
  await knex.raw(`comment on table ${PRUNES_TABLE} is
    'every ridescan prune: the days before "before" whose rides (partitions) it dropped, how many rides, by whom; their detection_runs, loads and zone_pair_baseline rows stay'`);
  await grantToReader(knex, PRUNES_TABLE);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table ${PRUNES_TABLE}`);
  // 001 and 002's table: ride_id alone is the key (a ride id on two days fails here, see above)
  await rebuildRides(
    knex,
    `create table rides_by_day (${COLUMNS},
      primary key (ride_id)
    ) with (fillfactor = 50)`,
    ['create index rides_by_day_service_date on rides_by_day (service_date)'],
    'rides_pkey',
  );
  await knex.raw('alter index rides_by_day_service_date rename to rides_service_date');
  await knex.raw('comment on table rides is null');
}
