// rides is partitioned by service day (migration 012): a day's rides can only be written once its
// partition exists. Every writer of rides (the loader, simulate, the time-zone change, tests that
// insert directly) calls ensureDayPartitions in its own transaction, with the days it is about to
// write, before writing; the loader makes the days that had none as tables of their own and
// attaches them when filled (startDayTables, attachDayTables below).
//
// A partition is made as a table of its own (`like rides including all`, with the primary key
// index) and then attached. CREATE TABLE ... PARTITION OF takes an ACCESS EXCLUSIVE lock on rides
// until the transaction ends, and the loader's transaction lasts the whole file: every reader of
// rides (a scoring, `status`, a report) would wait for the load. ATTACH PARTITION takes only SHARE
// UPDATE EXCLUSIVE on rides, which reads and writes of rides do not conflict with (checked in
// pg_locks on PostgreSQL 15); the table is empty, so its validation scan costs nothing.
//
// Race-safe: the transaction advisory lock LOCKS.partitions orders the processes that create
// partitions; the second one finds the partition there (READ COMMITTED: its next statement sees
// the first one's commit) and skips it. A partition made by a transaction that rolls back goes
// with it.
import type { Knex } from 'knex';
import { partitionName, partitionNameSql } from '../../migrations/012_rides_by_service_day.js';
import { LOCKS, lockInTransaction } from './locks.js';

export { partitionName };

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The days once each, sorted, every one a checked ISO date (so safe in the DO blocks below). */
function checkedDays(days: Iterable<string>): string[] {
  const unique = [...new Set(days)].sort();
  for (const day of unique) if (!ISO_DAY.test(day)) throw new Error(`not an ISO date: ${JSON.stringify(day)}`);
  return unique;
}

// One DO block running `body` for each day, with `d` the day and `name` its partition's name. The
// days go in as an array literal (checked ISO dates: no quoting needed): a DO block takes no bind
// parameters. to_regclass resolves a name as CREATE does (search_path).
function forEachDay(days: string[], body: string): string {
  return `do $do$
  declare d date; name text;
  begin
    foreach d in array '{${days.join(',')}}'::date[] loop
      name := ${partitionNameSql('d')};
      ${body}
    end loop;
  end
  $do$`;
}

const CREATE_MISSING = `if to_regclass(quote_ident(name)) is null then
        execute format('create table %I (like rides including all) with (fillfactor = 50)', name);
        execute format('alter table rides attach partition %I for values from (%L) to (%L)', name, d, d + 1);
      end if;`;

/**
 * Makes sure each day (ISO date) has its partition of rides, in the caller's transaction: one
 * statement after the lock, whatever the number of days.
 */
export async function ensureDayPartitions(trx: Knex.Transaction, days: Iterable<string>): Promise<void> {
  const unique = checkedDays(days);
  if (unique.length === 0) return;
  await lockInTransaction(trx, LOCKS.partitions());
  await trx.raw(forEachDay(unique, CREATE_MISSING));
}

// A loader that brings a day with no partition yet (the nightly file's new days) fills a table of
// its own without indexes and attaches it once filled (startDayTables, attachDayTables), all in
// the load's transaction: a failed load leaves neither table nor rows. The primary key maintained
// row by row during a COPY cost the database more than half of a 1M-ride load's time; built once
// over the filled table (by ATTACH, which makes the partition's index for the partitioned one's)
// it costs a sort. The table's CHECK constraint is the partition bound, so ATTACH skips its
// validation scan; it is dropped after the ATTACH (the bound is the partition constraint then),
// leaving the partition as ensureDayPartitions makes it.
const BOUND_CHECK = 'rides_day_bound';

// Bindings: the days as a date array. Which of them have no table of their name yet.
const MISSING_DAYS = `select to_char(d, 'YYYY-MM-DD') as day from unnest(?::date[]) d
  where to_regclass(quote_ident(${partitionNameSql('d')})) is null order by d`;

const CREATE_STANDALONE = `execute format('create table %I (like rides including all excluding indexes) with (fillfactor = 50)', name);
      execute format('alter table %I add constraint ${BOUND_CHECK} check (service_date >= %L and service_date < %L)', name, d, d + 1);`;

// ATTACH builds each day's primary key, and PostgreSQL builds an index of a table this size (a
// day of ~32,000 TLC rides at fillfactor 50, ~13 MB) with parallel workers, started and stopped
// per index: on this 2-core machine, with the load's own Node threads busy beside it, 32 such
// ATTACHes took ~52 ms each with workers and ~42 ms each without (psql, 8 days of the 1M-row
// file, alternately; docs/performance.md "Issue 13: the load's start and its day tables"). Set
// for the rest of the load's transaction, in the same statement as the ATTACHes.
const ATTACH_STANDALONE = `perform set_config('max_parallel_maintenance_workers', '0', true);
      execute format('alter table rides attach partition %I for values from (%L) to (%L)', name, d, d + 1);
      execute format('alter table %I drop constraint ${BOUND_CHECK}', name);`;

/**
 * Of the given days (ISO dates), makes a standalone table, no indexes, for each that has no
 * partition, and returns those days; the others have their partition. In the caller's
 * transaction, under the partitions lock (held until it ends, as by ensureDayPartitions). The
 * caller fills the tables (COPY into partitionName(day)) and must attachDayTables them before
 * its transaction commits: until then they are not part of rides.
 */
export async function startDayTables(trx: Knex.Transaction, days: Iterable<string>): Promise<string[]> {
  const unique = checkedDays(days);
  if (unique.length === 0) return [];
  await lockInTransaction(trx, LOCKS.partitions());
  const missing = ((await trx.raw(MISSING_DAYS, [`{${unique.join(',')}}`])).rows as { day: string }[]).map((r) => r.day);
  if (missing.length > 0) await trx.raw(forEachDay(missing, CREATE_STANDALONE));
  return missing;
}

/** Attaches tables startDayTables made (and the caller filled) as the partitions of their days. */
export async function attachDayTables(trx: Knex.Transaction, days: Iterable<string>): Promise<void> {
  const unique = checkedDays(days);
  if (unique.length === 0) return;
  await trx.raw(forEachDay(unique, ATTACH_STANDALONE));
}

export interface DayPartition {
  day: string;
  name: string;
}

// The partitions of rides with their day, from the catalogue (the bound's lower end is the day).
const LIST_PARTITIONS = `select c.relname as name,
    to_char((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([0-9-]+)''\\)'))[1]::date, 'YYYY-MM-DD') as day
  from pg_inherits i join pg_class c on c.oid = i.inhrelid
  where i.inhparent = 'rides'::regclass
  order by 2`;

/** Every partition of rides, in date order. */
export async function listDayPartitions(knex: Knex | Knex.Transaction): Promise<DayPartition[]> {
  return (await knex.raw(LIST_PARTITIONS)).rows as DayPartition[];
}
