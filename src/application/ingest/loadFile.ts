// Loads one ride file: inspect it (an unreadable file fails here, before anything is written),
// then stream its batches into its own transaction and return the account.
import type { Database } from '../../storage/database.js';
import { loadRideBatches, type FileLoadAccount } from '../../storage/rideLoads.js';
import { TLC_TIME_ZONE, type RequestedFormat } from './formats.js';
import { inspectRideFile, type RideFile } from './inspectFile.js';
import { rideBatches, type ReadProgress } from './rideBatches.js';
import { ZoneClock } from './zoneClock.js';

export interface LoadFileOptions {
  format: RequestedFormat;
  dryRun: boolean;
  /** RIDESCAN_TZ: service days are local dates of pickup there; rides-csv times without offset are local there */
  serviceTimeZone: string;
  /** called once the file is inspected, before its rows are read */
  onStart?: (file: RideFile) => void;
  onProgress?: (progress: ReadProgress) => void;
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
}

export async function loadRideFile(db: Database, path: string, options: LoadFileOptions): Promise<FileLoadResult> {
  const started = performance.now();
  const file = await inspectRideFile(path, options.format);
  options.onStart?.(file);
  const format = file.layout.format;
  const sourceTimeZone = format === 'rides-csv' ? options.serviceTimeZone : TLC_TIME_ZONE;
  const clocks = { source: new ZoneClock(sourceTimeZone), service: new ZoneClock(options.serviceTimeZone) };
  const account = await loadRideBatches(
    db,
    {
      fileName: file.name,
      filePath: file.path,
      fileBytes: file.bytes,
      format,
      container: file.container,
      sourceTimeZone,
      serviceTimeZone: options.serviceTimeZone,
      dryRun: options.dryRun,
      // a TLC ride_id hashes every field (tlcRideId.ts): the same id is the same trip
      idsNameContent: format !== 'rides-csv',
    },
    rideBatches(file, clocks, options.onProgress),
  );
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
    warnings: zoneWarnings(format, options.serviceTimeZone),
  };
}

/**
 * TLC times are New York local time. Into service days of another zone they are cut at another
 * hour (UTC: at 19:00 or 20:00 New York time), and each month grows a partial extra day; nothing
 * else would say so.
 */
function zoneWarnings(format: FileLoadResult['format'], serviceTimeZone: string): string[] {
  if (format === 'rides-csv' || serviceTimeZone === TLC_TIME_ZONE) return [];
  return [
    `TLC times are ${TLC_TIME_ZONE} local time, but service days here are in ${serviceTimeZone}: ` +
      `the file's rides are cut into days at midnight ${serviceTimeZone}, not at midnight in New York. Set RIDESCAN_TZ=${TLC_TIME_ZONE} before the first load (docs/loading.md#time-zones)`,
  ];
}
