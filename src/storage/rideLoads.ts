// Loading one file's rides: one transaction per file, so that either the whole file is in, with
// its account in loads and its rejected rows in ride_rejects, or nothing of it is.
//
// Rides go straight into rides by binary COPY, 25,000 at a time, while the reader parses the
// next batch. COPY cannot skip rides already present, so each batch first asks which of its ids
// exist (on the ride's service day or a day beside it: see PRESENT_IN_RANGE) and leaves those out.
// COPY into the partitioned rides routes each row to its day's partition. A day that has no
// partition yet (a nightly file's new days) gets a table of its own without indexes, filled by
// COPY and attached as the day's partition once the file has moved past it (or at the end): its
// primary key is then built once instead of maintained row by row (NewDays below; for a 1M-row
// file the database's work fell from 2.5 to 1.0 times psql's \copy of the CSV, docs/performance.md).
// Staging the rows and running INSERT … SELECT … ON CONFLICT DO NOTHING instead cost the database
// 3 to 4 times as long for a million TLC rows here (the speculative insertion alone doubles the
// insert). A present id that an earlier file loaded with
// other content is a correction: only batches with present ids stage those rows in a temporary
// table and update the rides that differ, so a file of new rides never pays for it. Loads take an
// advisory lock so that two loads of one file wait for each other instead of both finding an id
// absent and one failing on the primary key.
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { LOCKS, lockInTransaction } from './locks.js';
import { RIDE_COLUMNS, RideRows, type RideRowsParts } from './rideRows.js';
import { confirmServiceTimeZone } from './settings.js';
import { attachDayTables, partitionName, startDayTables } from './ridePartitions.js';
import { IdHashSet } from './idHashSet.js';

// This module's input contract is the row it writes and the reject it stores, named here because
// storage must not import from src/application: the file formats, containers and how a row is
// parsed are ingest's (src/application/ingest/types.ts), which produces these two shapes.

/** A ride as the rides table takes it: instants and service day already resolved. */
export interface RideRow {
  rideId: string;
  taxiId: string | null;
  pickupAtMs: number;
  dropoffAtMs: number;
  /** local date of pickup in the service zone, as days since 1970-01-01 */
  serviceDay: number;
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

/** A row that could not be parsed, kept in ride_rejects as read with the reason. */
export interface RejectRow {
  /** CSV: line where the row starts (header = 1); Parquet: row number from 1 */
  lineNumber: number;
  /** stable key for counting, e.g. field_count */
  reasonCode: string;
  /** what a person reads: which field, what was there, what was expected */
  reason: string;
  raw: string;
}

/**
 * Some rows of a file, in file order. Rows are handed over one by one rather than as arrays, so
 * that a ride object lives no longer than its row (25,000 of them kept for a batch would outlive
 * the young generation and cost the garbage collector more than the parsing). A ride is valid
 * only during its call: the file readers reuse one object from row to row (rowSchemas.ts).
 */
export interface RowBatch {
  each(onRide: (ride: RideRow) => void, onReject: (reject: RejectRow) => void): void;
}

/**
 * Rows a reader has already encoded for the load (on a thread of its own: the file reader's
 * worker, src/application/ingest/parseWorker.ts): the rides as COPY rows (RideRows.parts, at most
 * `batchRides` of them), and the rows rejected among them, in file order.
 */
export interface EncodedBatch {
  rides: RideRowsParts | null;
  rejects: RejectRow[];
  /** called once the rides are written: their buffers may be reused */
  release?: () => void;
}

/** What an encoding reader needs to know of the load before it encodes a row. */
export interface RowEncoding {
  loadId: number;
  /** the rides' source column: the file's format */
  source: string;
  /** rides per COPY */
  batchRides: number;
}

/**
 * A file's rows: batches of rides one by one, or a reader that encodes them itself once it knows
 * the load (its id is in every row), started when the load has its transaction.
 */
export type RowInput = AsyncIterable<RowBatch> | ((encoding: RowEncoding) => AsyncIterable<EncodedBatch>);

export interface FileLoadTarget {
  fileName: string;
  filePath: string;
  fileBytes: number;
  /** the loads table's check constraints hold the formats and containers there are */
  format: string;
  container: string;
  /** zone of the file's wall-clock times (TLC: America/New_York), for the record */
  sourceTimeZone: string;
  /** zone of service days (the database's, settings.ts), in which the rows' service days were computed */
  serviceTimeZone: string;
  /**
   * Checked under the load lock before any ride is written: the database's zone must still be
   * serviceTimeZone (the rows were converted in it), or with `claim` this first load sets it
   * (settings.ts confirmServiceTimeZone). Unset: not checked (tests that load in a zone of their own).
   */
  zone?: { claim: boolean };
  /** parse, validate and count everything, then roll back */
  dryRun: boolean;
  /**
   * each ride_id is derived from the ride's content (TLC), so a present id is the same ride and
   * cannot carry a correction: such files skip comparing present rides (a reload of a 1M-row file
   * would otherwise stage and compare every row)
   */
  idsNameContent?: boolean;
  /** rides per COPY (default 25,000); tests set a few, to cover many batches with few rides */
  batchRides?: number;
}

export interface StaleDay {
  day: string;
  /** the latest succeeded run of the day, whose flags no longer cover every ride */
  lastRunId: number;
  newRides: number;
  /** rides corrected into or out of the day */
  correctedRides: number;
}

export interface FileLoadAccount {
  /** the loads row; null for a dry run */
  loadId: number | null;
  dryRun: boolean;
  rowsRead: number;
  rowsLoaded: number;
  rowsAlreadyPresent: number;
  /** rides already present from an earlier file, with different content: updated, flag cleared */
  rowsCorrected: number;
  rowsRejected: number;
  rejectsByReason: Record<string, number>;
  /** the first few rejected rows, for the summary (all of them are in ride_rejects) */
  firstRejects: RejectRow[];
  /** days that received new rides, with how many, in date order */
  serviceDays: { day: string; rides: number }[];
  staleDays: StaleDay[];
}

// Of the given days, those a succeeded detection run has scored: new rides make them stale.
const SCORED_DAYS = `select to_char(service_date, 'YYYY-MM-DD') as day, max(id) as last_run_id
  from detection_runs
  where status = 'succeeded' and service_date = any(?::date[])
  group by service_date`;

/** rides per COPY unless the target says otherwise */
export const COPY_ROWS = 25_000;
const WRITES_WAITING = 2;
const FIRST_REJECTS = 5;
const REJECT_ROWS = 1_000;
const RAW_LIMIT = 4_000;
/** A new day's table is attached once this many batches in a row have brought it no ride. */
const IDLE_BATCHES = 2;
/** More new days than this in one batch and they are attached before it is written. */
const MAX_TABLES_PER_BATCH = 16;

class DryRunRollback extends Error {
  constructor(readonly account: FileLoadAccount) {
    super('dry run: rolled back');
  }
}

/** Loads the batches of one file in one transaction and returns its account. */
export async function loadRideBatches(
  db: Database,
  target: FileLoadTarget,
  input: RowInput,
): Promise<FileLoadAccount> {
  try {
    return await db.knex.transaction(async (trx: Knex.Transaction) => {
      await lockInTransaction(trx, LOCKS.loads());
      if (target.zone) await confirmServiceTimeZone(trx, target.serviceTimeZone, target.zone.claim);
      const [{ id }] = await trx('loads')
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
      const loadId = Number(id);

      let offered = 0;
      let loaded = 0;
      let corrected = 0;
      let rejected = 0;
      const rejectsByReason: Record<string, number> = {};
      const ridesByDay = new Map<number, number>();
      const correctedByDay = new Map<number, number>();
      let rows = new RideRows(target.format, loadId);
      const newDays = new NewDays(trx);
      let rejects: RejectRow[] = [];
      const firstRejects: RejectRow[] = [];

      // Writes run one after another on the transaction's connection, in order, with up to two
      // waiting their turn: while the database writes one batch the loop below parses the next.
      // After a failure the writes behind it do not run; the error surfaces at the next wait.
      let tail: Promise<void> = Promise.resolve();
      const waiting: Promise<void>[] = [];
      const enqueue = async (work: () => Promise<void>) => {
        if (waiting.length >= WRITES_WAITING) await waiting.shift();
        tail = tail.then(work);
        tail.catch(() => {}); // surfaced by the next wait
        waiting.push(tail);
      };
      const batchRides = target.batchRides ?? COPY_ROWS;
      const flushRides = async (batch: RideRows, release?: () => void) => {
        offered += batch.count;
        await enqueue(async () => {
          const kept = await writeNewRides(db, trx, batch, loadId, target.idsNameContent === true, newDays);
          release?.();
          loaded += kept.loaded;
          corrected += kept.corrected;
          for (const [day, n] of kept.byDay) ridesByDay.set(day, (ridesByDay.get(day) ?? 0) + n);
          for (const [day, n] of kept.correctedByDay) correctedByDay.set(day, (correctedByDay.get(day) ?? 0) + n);
        });
      };
      const flushRejects = async () => {
        const batch = rejects;
        rejects = [];
        await enqueue(() => insertRejects(trx, loadId, batch));
      };

      const flushRows = async () => {
        const batch = rows;
        rows = batch.emptyLike();
        await flushRides(batch);
      };

      const onRide = (ride: RideRow) => rows.add(ride);
      const onReject = (reject: RejectRow) => {
        rejected++;
        rejectsByReason[reject.reasonCode] = (rejectsByReason[reject.reasonCode] ?? 0) + 1;
        if (firstRejects.length < FIRST_REJECTS) firstRejects.push(reject);
        rejects.push(reject);
      };
      try {
        if (typeof input === 'function') {
          for await (const batch of input({ loadId, source: target.format, batchRides })) {
            for (const reject of batch.rejects) onReject(reject);
            if (batch.rides !== null && batch.rides.copy.rows > 0) await flushRides(RideRows.fromParts(batch.rides), batch.release);
            if (rejects.length >= REJECT_ROWS) await flushRejects();
          }
        } else {
          for await (const batch of input) {
            batch.each(onRide, onReject);
            if (rows.count >= batchRides) await flushRows();
            if (rejects.length >= REJECT_ROWS) await flushRejects();
          }
        }
        if (rows.count > 0) await flushRows();
        if (rejects.length > 0) await flushRejects();
      } catch (error) {
        // Let the writes in flight finish before the rollback: sent after it, on the same
        // connection, they would run outside the transaction and keep their rows.
        await tail.catch(() => {});
        throw error;
      }
      await tail;
      await newDays.attach([...newDays.open.keys()]);

      const serviceDays = [...ridesByDay.entries()]
        .sort(([a], [b]) => a - b)
        .map(([day, rides]) => ({ day: isoDay(day), rides }));
      const touchedDays = [...new Set([...ridesByDay.keys(), ...correctedByDay.keys()])].sort((a, b) => a - b);
      const scored = touchedDays.length
        ? ((await trx.raw(SCORED_DAYS, [dateArray(touchedDays.map(isoDay))])).rows as { day: string; last_run_id: number | string }[])
        : [];
      const lastRun = new Map(scored.map((r) => [r.day, Number(r.last_run_id)]));
      const staleDays = touchedDays
        .filter((day) => lastRun.has(isoDay(day)))
        .map((day) => ({ day: isoDay(day), lastRunId: lastRun.get(isoDay(day))!, newRides: ridesByDay.get(day) ?? 0, correctedRides: correctedByDay.get(day) ?? 0 }));

      const account: FileLoadAccount = {
        loadId: target.dryRun ? null : loadId,
        dryRun: target.dryRun,
        rowsRead: offered + rejected,
        rowsLoaded: loaded,
        rowsAlreadyPresent: offered - loaded - corrected,
        rowsCorrected: corrected,
        rowsRejected: rejected,
        rejectsByReason,
        firstRejects,
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
          rows_corrected: account.rowsCorrected,
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

const COPY_RIDES = `COPY rides (${RIDE_COLUMNS}) FROM STDIN (FORMAT binary)`;

/** More rows than this from PRESENT_IN_RANGE and the batch asks by id instead. */
const PRESENT_IN_RANGE_LIMIT = 100_000;

// A ride is looked up on its own service day and the two beside it (migration 012: the key is
// (service_date, ride_id), and a lookup by id alone would probe every day's partition, a cost that
// grows with the table). The window covers a company correction that moves a ride across
// midnight; one that moves it further is loaded as a new ride (docs/loading.md). TLC ids are
// derived from the content, pickup time included: a TLC ride never moves.
// Both queries return each present ride with its day (days since 1970-01-01); the caller keeps
// those within a day of the batch ride's own.

// Bindings: the window's days (every batch day, one before and one after), the lowest and highest
// id of the batch. One range scan of the primary key per day of the window.
const PRESENT_IN_RANGE = `select ride_id, service_date - date '1970-01-01' as day from rides
  where service_date = any(?::date[]) and ride_id between ? and ? limit ${PRESENT_IN_RANGE_LIMIT + 1}`;

// Bindings: the window's days, the batch's ids as a PostgreSQL array literal.
const PRESENT_AMONG = `select ride_id, service_date - date '1970-01-01' as day from rides
  where service_date = any(?::date[]) and ride_id = any(?::text[])`;

// The batch's rides whose id is present, staged for comparison; gone with the transaction.
const CORRECTIONS_STAGE = `create temp table if not exists load_corrections on commit drop as
  select ${RIDE_COLUMNS} from rides with no data`;
const COPY_CORRECTIONS = `COPY load_corrections (${RIDE_COLUMNS}) FROM STDIN (FORMAT binary)`;
const CORRECTIONS_CLEAR = `truncate load_corrections`;

// A staged ride whose stored one came from an earlier file (a repeat within this file keeps its
// first row, as a repeat within a batch does) and differs in content replaces it, with its flag
// cleared: no run has scored the new content, so the day shows unscored rides until one does.
// The stored ride is the one with its id within a day of the staged ride's day, the nearest (the
// same day first, then the earlier): the window of PRESENT_IN_RANGE. A correction that changes
// the day moves the row to the new day's partition (PostgreSQL moves rows between partitions).
// Returns each ride's service day before and after, as days since 1970-01-01.
// Binding: this load's id.
const APPLY_CORRECTIONS = `update rides r set
    taxi_id = c.taxi_id, pickup_at = c.pickup_at, dropoff_at = c.dropoff_at, distance_km = c.distance_km,
    service_date = c.service_date, source = c.source, load_id = c.load_id,
    trip_distance_mi = c.trip_distance_mi, vendor_id = c.vendor_id, passenger_count = c.passenger_count,
    ratecode_id = c.ratecode_id, store_and_fwd_flag = c.store_and_fwd_flag, pickup_zone_id = c.pickup_zone_id,
    dropoff_zone_id = c.dropoff_zone_id, payment_type = c.payment_type, trip_type = c.trip_type,
    fare_amount = c.fare_amount, extra = c.extra, mta_tax = c.mta_tax, tip_amount = c.tip_amount,
    tolls_amount = c.tolls_amount, ehail_fee = c.ehail_fee, improvement_surcharge = c.improvement_surcharge,
    congestion_surcharge = c.congestion_surcharge, airport_fee = c.airport_fee, total_amount = c.total_amount,
    is_outlier = null, outlier_reason = null, outlier_score = null, detection_run_id = null
  from (
    select distinct on (c.ride_id) c.*, o.service_date as stored_day, o.load_id as stored_load_id,
      (o.taxi_id, o.pickup_at, o.dropoff_at, o.distance_km, o.service_date, o.source,
       o.trip_distance_mi, o.vendor_id, o.passenger_count, o.ratecode_id, o.store_and_fwd_flag,
       o.pickup_zone_id, o.dropoff_zone_id, o.payment_type, o.trip_type,
       o.fare_amount, o.extra, o.mta_tax, o.tip_amount, o.tolls_amount, o.ehail_fee,
       o.improvement_surcharge, o.congestion_surcharge, o.airport_fee, o.total_amount)
      is distinct from
        (c.taxi_id, c.pickup_at, c.dropoff_at, c.distance_km, c.service_date, c.source,
         c.trip_distance_mi, c.vendor_id, c.passenger_count, c.ratecode_id, c.store_and_fwd_flag,
         c.pickup_zone_id, c.dropoff_zone_id, c.payment_type, c.trip_type,
         c.fare_amount, c.extra, c.mta_tax, c.tip_amount, c.tolls_amount, c.ehail_fee,
         c.improvement_surcharge, c.congestion_surcharge, c.airport_fee, c.total_amount) as differs
    from load_corrections c
    join rides o on o.ride_id = c.ride_id and o.service_date between c.service_date - 1 and c.service_date + 1
    order by c.ride_id, abs(o.service_date - c.service_date), o.service_date
  ) c
  where r.service_date = c.stored_day and r.ride_id = c.ride_id
    and c.stored_load_id is distinct from ?
    and c.differs
  returning c.stored_day - date '1970-01-01' as old_day, c.service_date - date '1970-01-01' as new_day`;

/**
 * COPYs the rides of a batch whose id is new (to the table and to the batch); applies those whose
 * id an earlier file loaded, with different content, as corrections. Counts both by day.
 */
async function writeNewRides(
  db: Database,
  trx: Knex.Transaction,
  rows: RideRows,
  loadId: number,
  idsNameContent: boolean,
  newDays: NewDays,
): Promise<{ loaded: number; byDay: Map<number, number>; corrected: number; correctedByDay: Map<number, number> }> {
  // Every day the batch writes to (new rides, and corrections moving a ride) needs its partition
  // or, when it had none, its own table; days the file has moved past are attached first.
  newDays.batch++;
  await newDays.attach(newDays.idle(IDLE_BATCHES));
  await newDays.prepare(rows.days);
  // A batch spread over many new days (a file not in day order) would take a COPY per day:
  // those days are attached now, and rides routes the rows.
  const openHere = [...rows.days].filter(newDays.isOpen);
  if (openHere.length > MAX_TABLES_PER_BATCH) await newDays.attach(openHere);
  // Ids of one file usually share a narrow range (TLC ids start with the pickup time): one index
  // range scan per day of the window finds any present. When the range holds too many other
  // rides, ask by id instead; also when an id is not ASCII, where JavaScript's order of strings is
  // not the database's.
  const window = dateArray([...new Set([...rows.days].flatMap((d) => [d - 1, d, d + 1]))].sort((a, b) => a - b).map(isoDay));
  let present: { ride_id: string; day: number }[] = rows.asciiIds ? (await trx.raw(PRESENT_IN_RANGE, [window, rows.minId, rows.maxId])).rows : [];
  if (!rows.asciiIds || present.length > PRESENT_IN_RANGE_LIMIT) {
    present = (await trx.raw(PRESENT_AMONG, [window, textArray(rows.ids())])).rows;
  }
  // Rides this load wrote to a new day's table (not part of rides yet) are found by their hashes,
  // then confirmed in the table.
  if (newDays.open.size > 0) present = present.concat(await newDays.presentAmong(rows));
  // id -> the days it is stored on, within the window of some batch day
  let taken: Map<string, number[]> | null = null;
  if (present.length > 0) {
    taken = new Map();
    for (const { ride_id, day } of present) {
      const days = taken.get(ride_id);
      if (days) days.push(Number(day));
      else taken.set(ride_id, [Number(day)]);
    }
  }
  const presentNear = (i: number): boolean => {
    const days = taken!.get(rows.id(i));
    if (days === undefined) return false;
    const own = rows.serviceDays[i];
    return days.some((d) => d >= own - 1 && d <= own + 1);
  };
  const keep = rows.repeatedIds(); // 1 = repeated; turned into 1 = new, 2 = present, 0 = neither below
  const byDay = new Map<number, number>();
  let loaded = 0;
  let presentCount = 0;
  let runDay = NaN;
  let run = 0;
  for (let i = 0; i < rows.count; i++) {
    if (keep[i] === 1) {
      keep[i] = 0;
      continue;
    }
    if (taken !== null && presentNear(i)) {
      keep[i] = 2;
      presentCount++;
      continue;
    }
    keep[i] = 1;
    loaded++;
    // counted by runs of one day (a batch of a file in day order is one or two): a Map update per
    // ride cost the loading thread about 0.1 s per 1M
    const day = rows.serviceDays[i];
    if (day !== runDay) {
      if (run > 0) byDay.set(runDay, (byDay.get(runDay) ?? 0) + run);
      runDay = day;
      run = 0;
    }
    run++;
  }
  if (run > 0) byDay.set(runDay, (byDay.get(runDay) ?? 0) + run);
  const correctedByDay = new Map<number, number>();
  let corrected = 0;
  // Ids already present: the slow path, taken only by files that repeat rides. Compared in the
  // database, where the stored values are (a timestamp read back into JavaScript loses its µs).
  if (presentCount > 0 && !idsNameContent) {
    // a correction may move a ride to any day of the batch: each must be a partition of rides
    await newDays.attach([...rows.days].filter(newDays.isOpen));
    await trx.raw(CORRECTIONS_STAGE);
    await db.copyIn(trx, COPY_CORRECTIONS, rows.copyInput((i) => keep[i] === 2));
    const changed = (await trx.raw(APPLY_CORRECTIONS, [loadId])).rows as { old_day: number; new_day: number }[];
    await trx.raw(CORRECTIONS_CLEAR);
    corrected = changed.length;
    for (const { old_day, new_day } of changed) {
      correctedByDay.set(old_day, (correctedByDay.get(old_day) ?? 0) + 1);
      if (new_day !== old_day) correctedByDay.set(new_day, (correctedByDay.get(new_day) ?? 0) + 1);
    }
  }
  if (loaded > 0) {
    const every = loaded === rows.count;
    const tables = [...byDay.keys()].filter(newDays.isOpen);
    if (tables.length === 0) {
      await db.copyIn(trx, COPY_RIDES, rows.copyInput(every ? undefined : (i) => keep[i] === 1));
    } else {
      const { isOpen } = newDays;
      for (let i = 0; i < rows.count; i++) if (keep[i] === 1 && isOpen(rows.serviceDays[i])) newDays.ids.add(rows.idHashes[i], rows.idHashes2[i], rows.serviceDays[i], isOpen);
      for (const day of tables) {
        const only = every && byDay.size === 1;
        await db.copyIn(trx, copyInto(partitionName(isoDay(day))), rows.copyInput(only ? undefined : (i) => keep[i] === 1 && rows.serviceDays[i] === day));
        newDays.open.set(day, newDays.batch);
      }
      if (tables.length < byDay.size) {
        await db.copyIn(trx, COPY_RIDES, rows.copyInput((i) => keep[i] === 1 && !newDays.isOpen(rows.serviceDays[i])));
      }
    }
  }
  return { loaded, byDay, corrected, correctedByDay };
}

/**
 * COPY into one new day's table (a name of ridePartitions.ts: rides_YYYY_MM_DD, no quoting
 * needed). FREEZE: the table was made in this transaction, so its rows are written frozen and
 * all-visible, and the day's first read (the nightly scoring) does not write every page again to
 * set hint bits; a rollback drops the table with them.
 */
function copyInto(table: string): string {
  return `COPY ${table} (${RIDE_COLUMNS}) FROM STDIN (FORMAT binary, FREEZE)`;
}

/**
 * The days of one load that had no partition: each a table of its own (ridePartitions.ts
 * startDayTables) that COPY fills without index upkeep, attached as the day's partition when the
 * file has moved past the day (TLC files come in pickup order: a day's rides arrive together, a
 * few late ones after) or at the end of the file. A late ride of a day already attached goes
 * into rides like any other. Until attached, a table is not part of rides, so the load finds its
 * own rides there by their ids' hashes (IdHashSet), each hit confirmed in the table.
 */
class NewDays {
  /** day (days since 1970-01-01) -> the number of the batch that last wrote to its table */
  readonly open = new Map<number, number>();
  /** days known to have their partition */
  private readonly attached = new Set<number>();
  /** ids written to open tables, with their day */
  readonly ids = new IdHashSet();
  /** batches written so far */
  batch = 0;
  /** whether a day's rides go to its own table (not yet part of rides) */
  readonly isOpen = (day: number): boolean => this.open.has(day);

  constructor(private readonly trx: Knex.Transaction) {}

  /** Open days that no batch wrote to in the last `batches` batches. */
  idle(batches: number): number[] {
    return [...this.open].filter(([, last]) => last <= this.batch - batches).map(([day]) => day);
  }

  /** Makes each day either open (a table of its own, made if the day had no partition) or known to have its partition. */
  async prepare(days: Iterable<number>): Promise<void> {
    const unknown = [...days].filter((d) => !this.open.has(d) && !this.attached.has(d));
    if (unknown.length === 0) return;
    const made = new Set(await startDayTables(this.trx, unknown.map(isoDay)));
    for (const day of unknown) {
      if (made.has(isoDay(day))) this.open.set(day, this.batch);
      else this.attached.add(day);
    }
  }

  /** Attaches open days' tables as their partitions (the primary key is built then). */
  async attach(days: number[]): Promise<void> {
    if (days.length === 0) return;
    await attachDayTables(this.trx, days.map(isoDay));
    for (const day of days) {
      this.open.delete(day);
      this.attached.add(day);
    }
  }

  /** The batch's rides whose id this load already wrote to an open table within a day of theirs, with that day. */
  async presentAmong(rows: RideRows): Promise<{ ride_id: string; day: number }[]> {
    const { isOpen } = this;
    const byTable = new Map<number, Set<string>>();
    for (let i = 0; i < rows.count; i++) {
      const day = rows.serviceDays[i];
      if (!this.ids.mayHaveNear(rows.idHashes[i], rows.idHashes2[i], day, isOpen)) continue;
      for (let d = day - 1; d <= day + 1; d++) {
        if (!isOpen(d)) continue;
        const ids = byTable.get(d) ?? new Set<string>();
        ids.add(rows.id(i));
        byTable.set(d, ids);
      }
    }
    const found: { ride_id: string; day: number }[] = [];
    for (const [day, ids] of byTable) {
      const rowsFound = (await this.trx.raw(`select ride_id from ${partitionName(isoDay(day))} where ride_id = any(?::text[])`, [textArray([...ids])])).rows as { ride_id: string }[];
      for (const { ride_id } of rowsFound) found.push({ ride_id, day });
    }
    return found;
  }
}

async function insertRejects(trx: Knex.Transaction, loadId: number, rejects: RejectRow[]): Promise<void> {
  for (let i = 0; i < rejects.length; i += REJECT_ROWS) {
    await trx('ride_rejects').insert(
      rejects.slice(i, i + REJECT_ROWS).map((r) => ({
        load_id: loadId,
        line_number: r.lineNumber,
        reason_code: r.reasonCode,
        reason: printable(r.reason),
        raw: printable(r.raw),
      })),
    );
  }
}

/** PostgreSQL text holds no NUL; a huge line is cut rather than kept whole. */
function printable(text: string): string {
  const clean = text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
  return clean.length > RAW_LIMIT ? `${clean.slice(0, RAW_LIMIT)}… (${clean.length} characters)` : clean;
}

function isoDay(daysSince1970: number): string {
  return new Date(daysSince1970 * 86_400_000).toISOString().slice(0, 10);
}

/** A PostgreSQL array literal of any texts. */
function textArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** A PostgreSQL array literal of ISO dates (no quoting needed). */
function dateArray(days: string[]): string {
  return `{${days.join(',')}}`;
}
