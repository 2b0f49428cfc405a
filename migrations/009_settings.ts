// The service-day time zone becomes a property of the database (issue 11): service_date is the
// local date of pickup in it, so every process that loads, scores or reports must use the same
// one, and the database is the one place they all share. Before this migration it came from each
// process's RIDESCAN_TZ (default UTC); existing databases start at UTC, marked 'default', and a
// deployment that set RIDESCAN_TZ is told at its next command to fix it with `ridescan time-zone`
// (which moves no ride when its rides were loaded in that zone already).
//
// One row, kept one by its key: a boolean primary key that must be true.
import type { Knex } from 'knex';
import { grantToReader } from './006_query_reader.js';

export const SETTINGS_TABLE = 'settings';
/** how the zone was set: never chosen; by `migrate --time-zone` or `time-zone`; by the first TLC load */
export const TIME_ZONE_SOURCES = ['default', 'chosen', 'first load'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ${SETTINGS_TABLE} (
      one_row boolean primary key default true check (one_row),
      service_time_zone text not null,
      time_zone_source text not null check (time_zone_source in (${TIME_ZONE_SOURCES.map((s) => `'${s}'`).join(', ')})),
      time_zone_set_at timestamptz not null default now()
    )`);
  await knex.raw(`insert into ${SETTINGS_TABLE} (service_time_zone, time_zone_source) values ('UTC', 'default')`);
  await knex.raw(`comment on column ${SETTINGS_TABLE}.service_time_zone is
    'IANA zone of service days: rides.service_date is the local date of pickup_at here (change with ridescan time-zone)'`);
  // The reader role of migration 006, when the migrating user could create it.
  await grantToReader(knex, SETTINGS_TABLE);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table ${SETTINGS_TABLE}`);
}
