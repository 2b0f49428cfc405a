// A file load as storage sees it, for tests that call loadRideBatches without a real file.
import type { FileLoadTarget } from '../../src/storage/rideLoads.js';

/** A company CSV in UTC, not a dry run; spread it and override what a test is about. */
export const RIDES_CSV_TARGET: FileLoadTarget = Object.freeze({
  fileName: 'f',
  filePath: '/f',
  fileBytes: 1,
  format: 'rides-csv',
  container: 'csv',
  sourceTimeZone: 'UTC',
  serviceTimeZone: 'UTC',
  dryRun: false,
});
