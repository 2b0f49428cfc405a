import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { EXIT } from '../exitCodes.js';
import { RIDE_FORMATS, type RequestedFormat } from '../ingest/formats.js';
import { loadRideFile, type FileLoadResult } from '../ingest/loadFile.js';
import { loadProgress } from '../ingest/loadProgress.js';
import { formatFileSummary, formatTotal, type FileFailure } from '../ingest/formatLoadSummary.js';
import { UnreadableFileError } from '../ingest/unreadableFileError.js';

const FORMATS_HELP = `
Formats:
  rides-csv   the company's export: ride_id,taxi_id,pickup_at,dropoff_at,distance_km; ISO 8601
              times, with an offset (an instant) or without (local time in RIDESCAN_TZ)
  tlc-yellow  NYC TLC yellow taxi trip records (tpep_pickup_datetime, …), CSV, .csv.gz or Parquet
  tlc-green   NYC TLC green taxi trip records (lpep_pickup_datetime, …), CSV, .csv.gz or Parquet
  TLC times are New York local time; trip_distance is in miles (distance_km = miles × 1.609344);
  a TLC row's ride_id is derived from its content, so loading a file again adds nothing.

Each file loads in its own transaction: all of it, or none of it. Rows that cannot be parsed go
to ride_rejects with the line and the reason; every file's account (rows read = loaded + already
present + rejected) goes to the loads table. A file that cannot be read at all fails (exit 1)
and the others still load.`;

export function registerLoad(program: Command, context: CommandContext): void {
  program
    .command('load')
    .description('load ride files (the company CSV, NYC TLC trip records as CSV or Parquet) into rides, validated, with an account of every row')
    .argument('<files...>', 'CSV (optionally .gz) or Parquet files')
    .addOption(new Option('--format <format>', 'file format; auto picks it from the header or the Parquet columns').choices(['auto', ...RIDE_FORMATS]).default('auto'))
    .option('--dry-run', 'read, validate and count everything, then roll back: nothing is written')
    .option('--json', 'print the results as JSON instead of the summary')
    .addHelpText('after', `${FORMATS_HELP}\n${ENVIRONMENT_HELP}`)
    .action(async (files: string[], options: { format: RequestedFormat; dryRun?: boolean; json?: boolean }) => {
      const config = context.config();
      const db = await openConfiguredDatabase(config, { requireSchema: true });
      const progress = loadProgress(Boolean(process.stderr.isTTY) && !options.json);
      const results: FileLoadResult[] = [];
      const failures: FileFailure[] = [];
      try {
        for (const path of files) {
          try {
            const result = await loadRideFile(db, path, {
              format: options.format,
              dryRun: Boolean(options.dryRun),
              serviceTimeZone: config.timeZone,
              onStart: (file) => progress.start(file),
              onProgress: (p) => progress.update(p),
            });
            progress.stop();
            results.push(result);
            if (!options.json) console.log(formatFileSummary(result));
          } catch (error) {
            progress.stop();
            // An unreadable file is that file's failure; anything else (the database gone) too,
            // but its message is less likely to be about the file, so it says where it came from.
            const message = error instanceof UnreadableFileError ? error.message : `failed: ${error instanceof Error ? error.message : String(error)}`;
            failures.push({ path, error: message });
            if (!options.json) console.error(`ridescan: cannot load ${path}: ${message} (nothing of it was written)`);
          }
        }
      } finally {
        await db.close();
      }
      if (options.json) {
        console.log(JSON.stringify({ files: results, failures }, null, 2));
      } else if (files.length > 1) {
        console.log(formatTotal(results, failures));
      }
      if (failures.length > 0) process.exitCode = EXIT.failed;
    });
}
