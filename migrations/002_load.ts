// Loading real ride data: the TLC trip fields kept on rides, the account of every file load, the
// quarantine of rows that could not be parsed, and the TLC taxi zones.
import type { Knex } from 'knex';
import { TAXI_ZONES } from './data/taxiZones.js';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table zones (
      location_id smallint primary key,
      borough text not null,
      zone text not null,
      service_zone text not null
    )`);
  await knex.raw(`comment on table zones is 'NYC TLC taxi zones (taxi_zone_lookup.csv); rides.pickup_zone_id and dropoff_zone_id are its location_id'`);
  await knex('zones').insert(
    TAXI_ZONES.map(([location_id, borough, zone, service_zone]) => ({ location_id, borough, zone, service_zone })),
  );

  // One row per file loaded (dry runs leave none). Written in the file's own transaction, so a
  // row here means the whole file is in; the check makes the account add up by construction.
  await knex.raw(`
    create table loads (
      id bigint generated always as identity primary key,
      file_name text not null,
      file_path text not null,
      file_bytes bigint not null,
      format text not null check (format in ('rides-csv', 'tlc-yellow', 'tlc-green')),
      container text not null check (container in ('csv', 'csv.gz', 'parquet')),
      source_time_zone text not null,
      service_time_zone text not null,
      started_at timestamptz not null default clock_timestamp(),
      finished_at timestamptz,
      rows_read bigint not null default 0,
      rows_loaded bigint not null default 0,
      rows_already_present bigint not null default 0,
      rows_rejected bigint not null default 0,
      rejects_by_reason jsonb not null default '{}',
      service_days date[] not null default '{}',
      stale_days date[] not null default '{}',
      hostname text,
      pid integer,
      check (rows_read = rows_loaded + rows_already_present + rows_rejected)
    )`);
  await knex.raw(`comment on column loads.rows_already_present is
    'rows whose ride_id was already in rides, or came earlier in the same file'`);
  await knex.raw(`comment on column loads.service_days is
    'service days that received new rides from this file'`);
  await knex.raw(`comment on column loads.stale_days is
    'service days already scored by a succeeded detection run that received new, unscored rides from this file'`);

  await knex.raw(`
    create table ride_rejects (
      id bigint generated always as identity primary key,
      load_id bigint not null references loads (id) on delete cascade,
      line_number bigint not null,
      reason_code text not null,
      reason text not null,
      raw text not null
    )`);
  await knex.raw(`create index ride_rejects_load on ride_rejects (load_id)`);
  await knex.raw(`comment on column ride_rejects.line_number is
    'CSV: the line in the file where the row starts (the header is line 1); Parquet: the row number, from 1'`);
  await knex.raw(`comment on column ride_rejects.raw is
    'the row as read: the CSV text, or the Parquet values as JSON (cut at 4,000 characters)'`);

  // The TLC trip fields, NULL for rides from other sources. Adding nullable columns without a
  // default rewrites nothing. Amounts are double precision, as TLC's own Parquet files have them
  // (numeric would cost the load a conversion per amount). No foreign keys from rides: checking
  // one per row would slow the bulk load, and an unknown zone id is kept as read rather than
  // failing the file.
  await knex.raw(`
    alter table rides
      add column source text,
      add column load_id bigint,
      add column vendor_id smallint,
      add column passenger_count smallint,
      add column trip_distance_mi double precision,
      add column ratecode_id smallint,
      add column store_and_fwd_flag text,
      add column pickup_zone_id smallint,
      add column dropoff_zone_id smallint,
      add column payment_type smallint,
      add column trip_type smallint,
      add column fare_amount double precision,
      add column extra double precision,
      add column mta_tax double precision,
      add column tip_amount double precision,
      add column tolls_amount double precision,
      add column ehail_fee double precision,
      add column improvement_surcharge double precision,
      add column congestion_surcharge double precision,
      add column airport_fee double precision,
      add column total_amount double precision`);
  // Ride ids are opaque: compare them byte by byte. The database's default collation (even
  // C.UTF-8) goes through strcoll for every comparison, which on a 1M-ride load costs the
  // primary key a third more time. Rebuilds the primary key index; rewrites no rows.
  await knex.raw(`alter table rides alter column ride_id type text collate "C"`);
  await knex.raw(`comment on column rides.source is
    'format the ride was loaded from (rides-csv, tlc-yellow, tlc-green); NULL for simulated rides'`);
  await knex.raw(`comment on column rides.load_id is 'the loads row of the file the ride came from'`);
  await knex.raw(`comment on column rides.trip_distance_mi is 'TLC trip_distance as published, in miles (distance_km = miles × 1.609344)'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table rides alter column ride_id type text collate "default"`);
  await knex.raw(`
    alter table rides
      drop column source, drop column load_id, drop column vendor_id, drop column passenger_count,
      drop column trip_distance_mi, drop column ratecode_id, drop column store_and_fwd_flag,
      drop column pickup_zone_id, drop column dropoff_zone_id, drop column payment_type,
      drop column trip_type, drop column fare_amount, drop column extra, drop column mta_tax,
      drop column tip_amount, drop column tolls_amount, drop column ehail_fee,
      drop column improvement_surcharge, drop column congestion_surcharge, drop column airport_fee,
      drop column total_amount`);
  await knex.raw('drop table ride_rejects');
  await knex.raw('drop table loads');
  await knex.raw('drop table zones');
}
