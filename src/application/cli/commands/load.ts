// `ridescan load`: ride files into rides, validated, every row accounted for.
import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../options.js';
import { EXIT } from '../../errors.js';
import { RIDE_FORMATS, type RequestedFormat } from '../../ingest/formats.js';

const FORMATS_HELP = `
Formats:
  rides-csv   the company's export: ride_id,taxi_id,pickup_at,dropoff_at,distance_km; ISO 8601
              times, with an offset (an instant) or without (local time in the database's
              service time zone: \`ridescan time-zone\`)
  tlc-yellow  NYC TLC yellow taxi trip records (tpep_pickup_datetime, …), CSV, .csv.gz or Parquet
  tlc-green   NYC TLC green taxi trip records (lpep_pickup_datetime, …), CSV, .csv.gz or Parquet
  TLC times are New York local time: the first TLC file into a new database (no rides, zone
  never chosen) sets its service time zone to America/New_York. trip_distance is in miles (distance_km = miles × 1.609344);
  a TLC row's ride_id is derived from its content, so loading a file again adds nothing.

Each file loads in its own transaction: all of it, or none of it. Rows that cannot be parsed go
to ride_rejects with the line and the reason; every file's account (rows read = loaded + already
present + rejected) goes to the loads table. A file that cannot be read at all fails (exit 1)
and the others still load.`;

export function register(program: Command, context: CommandContext): void {
  program
    .command('load')
    .description('load ride files (the company CSV, NYC TLC trip records as CSV or Parquet) into rides, validated, with an account of every row')
    .argument('<files...>', 'CSV (optionally .gz) or Parquet files')
    .addOption(new Option('--format <format>', 'file format; auto picks it from the header or the Parquet columns').choices(['auto', ...RIDE_FORMATS]).default('auto'))
    .option('--dry-run', 'read, validate and count everything, then roll back: nothing is written')
    .option('--json', 'print the results as JSON instead of the summary')
    .addHelpText('after', `${FORMATS_HELP}\n${ENVIRONMENT_HELP}`)
    .action(async (files: string[], options: { format: RequestedFormat; dryRun?: boolean; json?: boolean }) => {
      // First thing, before the modules of the load and the database: the first file's parse
      // worker, whose own start (a thread, its modules: ~0.15–0.2 s) then runs beside theirs and
      // the database's opening instead of after the load's first statements (docs/performance.md,
      // "Issue 13: the load's start and its day tables").
      const { spareParseWorker } = await import('../../ingest/encodedBatches.js');
      const spare = spareParseWorker(files[0]);
      const { loadFiles } = await import('../../usecases/load.js');
      const { loadProgress } = await import('../format/loadProgress.js');
      const { formatFileSummary, formatTotal } = await import('../format/loadSummary.js');
      const { io } = context;
      const { results, failures } = await loadFiles(context.config(), files, {
        format: options.format,
        dryRun: Boolean(options.dryRun),
        progress: loadProgress(io.stderrIsTTY && !options.json),
        spare,
        onFile: (file) => {
          if (options.json) return;
          if ('loaded' in file) io.out(formatFileSummary(file.loaded));
          else io.err(`ridescan: cannot load ${file.failed.path}: ${file.failed.error} (nothing of it was written)`);
        },
      });
      if (options.json) {
        io.out(JSON.stringify({ files: results, failures }, null, 2));
      } else if (files.length > 1) {
        io.out(formatTotal(results, failures));
      }
      if (failures.length > 0) context.setExitCode(EXIT.failed);
    });
}
