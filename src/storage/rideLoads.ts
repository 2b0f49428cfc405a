// Loading one file's rides: one transaction per file. Rides stream in as batches; each batch is
// staged with binary COPY and inserted (skipping ids already present) while the reader parses
// the next one; rejected rows go to ride_rejects; the file's account goes to loads. Either the
// whole file is in, with its account and rejects, or nothing of it is.
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { copyIn } from './copy.js';
import { BinaryCopyWriter, unixMsToPgMicros } from './binaryCopy.js';
import {
  COPY_LOAD_STAGE,
  CREATE_LOAD_STAGE,
  INSERT_FROM_LOAD_STAGE,
  LOAD_STAGE_COLUMNS,
  SCORED_DAYS,
  TRUNCATE_LOAD_STAGE,
} from './loadSql.js';

export type RideFormat = 'rides-csv' | 'tlc-yellow' | 'tlc-green';
export type FileContainer = 'csv' | 'csv.gz' | 'parquet';

/** A ride as a file reader hands it over. Either the local or the UTC time of each end is set. */
export interface LoadedRide {
  rideId: string;
  taxiId: string | null;
  /** wall-clock time in the file's source zone, as ms since 1970 read as if UTC */
  pickupLocalMs: number | null;
  dropoffLocalMs: number | null;
  /** the instant, when the file gave one (an ISO 8601 time with an offset) */
  pickupUtcMs: number | null;
  dropoffUtcMs: number | null;
  distanceKm: number;
  // The TLC trip record's own fields; absent for other sources.
  tripDistanceMi?: number | null;
  vendorId?: number | null;
  passengerCount?: number | null;
  ratecodeId?: number | null;
  storeAndFwdFlag?: string | null;
  pickupZoneId?: number | null;
  dropoffZoneId?: number | null;
  paymentType?: number | null;
  tripType?: number | null;
  fareAmount?: number | null;
  extra?: number | null;
  mtaTax?: number | null;
  tipAmount?: number | null;
  tollsAmount?: number | null;
  ehailFee?: number | null;
  improvementSurcharge?: number | null;
  congestionSurcharge?: number | null;
  airportFee?: number | null;
  totalAmount?: number | null;
}

/** A row that could not be parsed, kept as read with the reason. */
export interface RideReject {
  /** CSV: line where the row starts (header = 1); Parquet: row number from 1 */
  lineNumber: number;
  /** stable key for counting, e.g. field_count */
  reasonCode: string;
  /** what a person reads: which field, what was there, what was expected */
  reason: string;
  raw: string;
}

export interface LoadBatch {
  rides: LoadedRide[];
  rejects: RideReject[];
}

export interface FileLoadTarget {
  fileName: string;
  filePath: string;
  fileBytes: number;
  format: RideFormat;
  container: FileContainer;
  /** zone of the file's wall-clock times (TLC: America/New_York) */
  sourceTimeZone: string;
  /** zone of service days (RIDESCAN_TZ) */
  serviceTimeZone: string;
  /** parse, validate and count everything, then roll back */
  dryRun: boolean;
}

export interface StaleDay {
  day: string;
  /** the latest succeeded run of the day, whose flags no longer cover every ride */
  lastRunId: number;
  newRides: number;
}

export interface FileLoadAccount {
  /** the loads row; null for a dry run */
  loadId: number | null;
  dryRun: boolean;
  rowsRead: number;
  rowsLoaded: number;
  rowsAlreadyPresent: number;
  rowsRejected: number;
  rejectsByReason: Record<string, number>;
  /** days that received new rides, with how many, in date order */
  serviceDays: { day: string; rides: number }[];
  staleDays: StaleDay[];
}

const RAW_LIMIT = 4000;

class DryRunRollback extends Error {
  constructor(readonly account: FileLoadAccount) {
    super('dry run: rolled back');
  }
}

/** Loads the batches of one file in one transaction and returns its account. */
export async function loadRideBatches(
  db: Database,
  target: FileLoadTarget,
  batches: AsyncIterable<LoadBatch>,
): Promise<FileLoadAccount> {
  try {
    return await db.knex.transaction(async (trx: Knex.Transaction) => {
      const [{ id: loadId }] = await trx('loads')
        .insert({
          file_name: target.fileName,
          file_path: target.filePath,
          file_bytes: target.fileBytes,
          format: target.format,
          container: target.container,
          source_time_zone: target.sourceTimeZone,
          service_time_zone: target.serviceTimeZone,
          hostname: hostname(),
          pid: process.pid,
        })
        .returning('id');
      await trx.raw(CREATE_LOAD_STAGE);

      let offered = 0;
      let loaded = 0;
      let rejected = 0;
      const rejectsByReason: Record<string, number> = {};
      const ridesByDay = new Map<string, number>();

      // One statement in flight at a time on the transaction's connection; while the database
      // copies and inserts batch k, this loop already parses batch k + 1.
      let inFlight: Promise<void> = Promise.resolve();
      const enqueue = async (work: () => Promise<void>) => {
        await inFlight;
        inFlight = work();
        inFlight.catch(() => {}); // surfaced by the next await
      };

      for await (const batch of batches) {
        if (batch.rejects.length > 0) {
          rejected += batch.rejects.length;
          for (const r of batch.rejects) rejectsByReason[r.reasonCode] = (rejectsByReason[r.reasonCode] ?? 0) + 1;
          const rows = batch.rejects.map((r) => ({
            load_id: loadId,
            line_number: r.lineNumber,
            reason_code: r.reasonCode,
            reason: r.reason,
            raw: printableRaw(r.raw),
          }));
          await enqueue(() => insertRejects(trx, rows));
        }
        if (batch.rides.length > 0) {
          offered += batch.rides.length;
          const data = encodeStage(batch.rides);
          await enqueue(async () => {
            await copyIn(trx, COPY_LOAD_STAGE, data);
            const result = await trx.raw(INSERT_FROM_LOAD_STAGE, [
              target.serviceTimeZone,
              target.format,
              loadId,
              target.sourceTimeZone,
              target.sourceTimeZone,
            ]);
            for (const row of result.rows as { day: string; rides: number }[]) {
              loaded += row.rides;
              ridesByDay.set(row.day, (ridesByDay.get(row.day) ?? 0) + row.rides);
            }
            await trx.raw(TRUNCATE_LOAD_STAGE);
          });
        }
      }
      await inFlight;

      const serviceDays = [...ridesByDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, rides]) => ({ day, rides }));
      const scored = serviceDays.length
        ? ((await trx.raw(SCORED_DAYS, [dateArray(serviceDays.map((d) => d.day))])).rows as { day: string; last_run_id: number }[])
        : [];
      const lastRun = new Map(scored.map((r) => [r.day, Number(r.last_run_id)]));
      const staleDays = serviceDays
        .filter((d) => lastRun.has(d.day))
        .map((d) => ({ day: d.day, lastRunId: lastRun.get(d.day)!, newRides: d.rides }));

      const account: FileLoadAccount = {
        loadId: target.dryRun ? null : Number(loadId),
        dryRun: target.dryRun,
        rowsRead: offered + rejected,
        rowsLoaded: loaded,
        rowsAlreadyPresent: offered - loaded,
        rowsRejected: rejected,
        rejectsByReason,
        serviceDays,
        staleDays,
      };
      if (target.dryRun) throw new DryRunRollback(account);

      await trx('loads')
        .where({ id: loadId })
        .update({
          finished_at: trx.raw('clock_timestamp()'),
          rows_read: account.rowsRead,
          rows_loaded: account.rowsLoaded,
          rows_already_present: account.rowsAlreadyPresent,
          rows_rejected: account.rowsRejected,
          rejects_by_reason: JSON.stringify(rejectsByReason),
          service_days: trx.raw('?::date[]', [dateArray(serviceDays.map((d) => d.day))]),
          stale_days: trx.raw('?::date[]', [dateArray(staleDays.map((d) => d.day))]),
        });
      return account;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.account;
    throw error;
  }
}

function encodeStage(rides: LoadedRide[]): Buffer {
  const w = new BinaryCopyWriter(LOAD_STAGE_COLUMNS, Math.max(1 << 16, rides.length * 200));
  for (const r of rides) {
    w.beginRow()
      .text(r.rideId)
      .text(r.taxiId)
      .timestampMicros(r.pickupLocalMs === null ? null : unixMsToPgMicros(r.pickupLocalMs))
      .timestampMicros(r.dropoffLocalMs === null ? null : unixMsToPgMicros(r.dropoffLocalMs))
      .timestampMicros(r.pickupUtcMs === null ? null : unixMsToPgMicros(r.pickupUtcMs))
      .timestampMicros(r.dropoffUtcMs === null ? null : unixMsToPgMicros(r.dropoffUtcMs))
      .float8(r.distanceKm)
      .float8(r.tripDistanceMi ?? null)
      .float8(r.vendorId ?? null)
      .float8(r.passengerCount ?? null)
      .float8(r.ratecodeId ?? null)
      .text(r.storeAndFwdFlag ?? null)
      .float8(r.pickupZoneId ?? null)
      .float8(r.dropoffZoneId ?? null)
      .float8(r.paymentType ?? null)
      .float8(r.tripType ?? null)
      .float8(r.fareAmount ?? null)
      .float8(r.extra ?? null)
      .float8(r.mtaTax ?? null)
      .float8(r.tipAmount ?? null)
      .float8(r.tollsAmount ?? null)
      .float8(r.ehailFee ?? null)
      .float8(r.improvementSurcharge ?? null)
      .float8(r.congestionSurcharge ?? null)
      .float8(r.airportFee ?? null)
      .float8(r.totalAmount ?? null);
  }
  return w.finish();
}

async function insertRejects(trx: Knex.Transaction, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await trx('ride_rejects').insert(rows.slice(i, i + 1000));
}

/** PostgreSQL text holds no NUL; a huge line is cut rather than kept whole. */
function printableRaw(raw: string): string {
  const text = raw.includes('\0') ? raw.replaceAll('\0', '\uFFFD') : raw;
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}… (${text.length} characters)` : text;
}

/** A PostgreSQL array literal of ISO dates (produced by to_char, so no quoting is needed). */
function dateArray(days: string[]): string {
  return `{${days.join(',')}}`;
}
