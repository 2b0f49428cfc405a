// Loads one ride file: inspect it (an unreadable file fails here, before anything is written),
// then stream its batches into its own transaction and return the account.
import type { Database } from '../../storage/database.js';
import type { DatabaseSettings } from '../../storage/settings.js';
import { COPY_ROWS, loadRideBatches, type FileLoadAccount } from '../../storage/rideLoads.js';
import { TLC_TIME_ZONE, type RequestedFormat } from './formats.js';
import { inspectRideFile, type RideFile } from './inspectFile.js';
import { rideBatches, type ReadProgress } from './rideBatches.js';
import { ZoneClock } from './zoneClock.js';
import { workerBatches, workerScriptFor, type ReaderChoice, type SpareParseWorker } from './encodedBatches.js';

export interface LoadFileOptions {
  format: RequestedFormat;
  dryRun: boolean;
  /**
   * The database's settings as the command read them: service days are local dates of pickup in
   * its zone, and rides-csv times without offset are local there. The load confirms the zone
   * under the load lock; the first TLC file into a database whose zone was never chosen and that
   * has no rides sets it to New York.
   */
  database?: DatabaseSettings;
  /** instead of `database`: a zone taken as it is, unchecked (tests and benches that load in a zone of their own) */
  serviceTimeZone?: string;
  /** called once the file is inspected, before its rows are read */
  onStart?: (file: RideFile) => void;
  onProgress?: (progress: ReadProgress) => void;
  /** where the rows are parsed (default: a worker thread for a large CSV file; encodedBatches.ts) */
  reader?: ReaderChoice;
  /** rides per COPY (default 25,000); tests set a few, to cover many batches with few rides */
  batchRides?: number;
  /** a parse worker started before the file was inspected (`ridescan load`), taken if the file is read on one */
  spare?: SpareParseWorker | null;
}

export interface FileLoadResult {
  path: string;
  name: string;
  bytes: number;
  container: RideFile['container'];
  format: RideFile['layout']['format'];
  /** the format was picked by --format auto */
  detected: boolean;
  ignoredColumns: string[];
  account: FileLoadAccount;
  seconds: number;
  /** what the operator should know before trusting the result, in words */
  warnings: string[];
  /** the zone this load set as the database's service time zone (the first TLC load), or null */
  timeZoneSet: string | null;
}

export async function loadRideFile(db: Database, path: string, options: LoadFileOptions): Promise<FileLoadResult> {
  const started = performance.now();
  const file = await inspectRideFile(path, options.format);
  options.onStart?.(file);
  const format = file.layout.format;
  const { serviceTimeZone, claim } = serviceZoneFor(format, options);
  const sourceTimeZone = format === 'rides-csv' ? serviceTimeZone : TLC_TIME_ZONE;
  const script = workerScriptFor(file, options.reader);
  const onProgress = options.onProgress ?? (() => {});
  // On a worker, the file is parsed from now on, while the load's transaction begins: its rows
  // get the load's id when the load has one (the database waited ~0.35 s for the first batch).
  const worker = script
    ? workerBatches(script, file, { source: sourceTimeZone, service: serviceTimeZone }, onProgress, { readBytes: options.reader?.readBytes, batchRides: options.batchRides ?? COPY_ROWS }, options.spare)
    : null;
  const input = worker
    ? worker.batches
    : rideBatches(file, { source: new ZoneClock(sourceTimeZone), service: new ZoneClock(serviceTimeZone) }, onProgress, { readBytes: options.reader?.readBytes });
  const account = await loadRideBatches(
    db,
    {
      fileName: file.name,
      filePath: file.path,
      fileBytes: file.bytes,
      format,
      container: file.container,
      sourceTimeZone,
      serviceTimeZone,
      zone: options.database ? { claim } : undefined,
      dryRun: options.dryRun,
      // a TLC ride_id hashes every field (tlcRideId.ts): the same id is the same trip
      idsNameContent: format !== 'rides-csv',
      batchRides: options.batchRides,
    },
    input,
  ).finally(() => worker?.close());
  return {
    path: file.path,
    name: file.name,
    bytes: file.bytes,
    container: file.container,
    format,
    detected: file.detected,
    ignoredColumns: file.ignoredColumns,
    account,
    seconds: (performance.now() - started) / 1000,
    warnings: zoneWarnings(format, serviceTimeZone),
    timeZoneSet: claim ? serviceTimeZone : null,
  };
}

/**
 * The zone of service days for this file. A database whose zone was never chosen and that has no
 * rides takes New York from its first TLC file: TLC times are New York local time, and the README
 * walk-through must give New York days without the user knowing of zones. demo and simulate
 * insert no file and keep UTC; a company CSV keeps the default too (its zone is the company's).
 */
function serviceZoneFor(format: FileLoadResult['format'], options: LoadFileOptions): { serviceTimeZone: string; claim: boolean } {
  const { database } = options;
  if (!database) {
    if (options.serviceTimeZone === undefined) throw new Error('loadRideFile needs the database settings or a service time zone');
    return { serviceTimeZone: options.serviceTimeZone, claim: false };
  }
  if (format !== 'rides-csv' && database.timeZone.source === 'default' && !database.hasRides && database.timeZone.zone !== TLC_TIME_ZONE) {
    return { serviceTimeZone: TLC_TIME_ZONE, claim: true };
  }
  return { serviceTimeZone: database.timeZone.zone, claim: false };
}

/**
 * TLC times are New York local time. Into service days of another zone they are cut at another
 * hour (UTC: at 19:00 or 20:00 New York time), and each month grows a partial extra day; nothing
 * else would say so.
 */
function zoneWarnings(format: FileLoadResult['format'], serviceTimeZone: string): string[] {
  if (format === 'rides-csv' || serviceTimeZone === TLC_TIME_ZONE) return [];
  return [
    `TLC times are ${TLC_TIME_ZONE} local time, but this database's service days are in ${serviceTimeZone}: ` +
      `the file's rides are cut into days at midnight ${serviceTimeZone}, not at midnight in New York. ` +
      `To cut every ride's day in New York: ridescan time-zone ${TLC_TIME_ZONE} (docs/loading.md#time-zones)`,
  ];
}
