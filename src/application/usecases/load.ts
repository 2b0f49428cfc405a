// `ridescan load`: every file in its own transaction; a file that fails is that file's failure
// and the others still load. Returns a result per file (as the backfill returns one per day).
import type { RidescanConfig } from '../config.js';
import { withDatabase } from '../openDatabase.js';
import type { RequestedFormat } from '../ingest/formats.js';
import { loadRideFile, type FileLoadResult } from '../ingest/loadFile.js';
import type { LoadProgress } from '../cli/format/loadProgress.js';
import type { FileFailure } from '../cli/format/loadSummary.js';
import { UnreadableFileError } from '../ingest/unreadableFileError.js';
import type { SpareParseWorker } from '../ingest/encodedBatches.js';
import { errorMessage } from '../errors.js';

export interface LoadFilesOptions {
  format: RequestedFormat;
  dryRun: boolean;
  progress: LoadProgress;
  /** told as each file ends */
  onFile?: (result: { loaded: FileLoadResult } | { failed: FileFailure }) => void;
  /** a parse worker the command started for the first file (encodedBatches.ts spareParseWorker); ended here if unused */
  spare?: SpareParseWorker | null;
}

export async function loadFiles(config: RidescanConfig, files: string[], options: LoadFilesOptions): Promise<{ results: FileLoadResult[]; failures: FileFailure[] }> {
  const results: FileLoadResult[] = [];
  const failures: FileFailure[] = [];
  try {
    await loadInDatabase(config, files, options, results, failures);
  } finally {
    await options.spare?.close();
  }
  return { results, failures };
}

async function loadInDatabase(config: RidescanConfig, files: string[], options: LoadFilesOptions, results: FileLoadResult[], failures: FileFailure[]): Promise<void> {
  await withDatabase(config, { requireSchema: true, withRides: true }, async (db, settings) => {
    // the settings as read at open, kept current as this command's own loads change them: after
    // a first TLC load sets New York, the next file loads in New York and claims nothing
    let database = settings;
    for (const path of files) {
      try {
        const result = await loadRideFile(db, path, {
          format: options.format,
          dryRun: options.dryRun,
          database,
          spare: options.spare,
          onStart: (file) => options.progress.start(file),
          onProgress: (p) => options.progress.update(p),
        });
        options.progress.stop();
        if (!result.account.dryRun) {
          database = {
            timeZone: result.timeZoneSet ? { zone: result.timeZoneSet, source: 'first load', setAt: new Date() } : database.timeZone,
            hasRides: database.hasRides || result.account.rowsLoaded > 0,
          };
        }
        results.push(result);
        options.onFile?.({ loaded: result });
      } catch (error) {
        options.progress.stop();
        // An unreadable file is that file's failure; anything else (the database gone) too,
        // but its message is less likely to be about the file, so it says where it came from.
        const message = error instanceof UnreadableFileError ? error.message : `failed: ${errorMessage(error)}`;
        const failure = { path, error: message };
        failures.push(failure);
        options.onFile?.({ failed: failure });
      }
    }
  });
}
