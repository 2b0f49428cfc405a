import type { Command } from 'commander';
import { ENVIRONMENT_HELP, parseDate, type CommandContext } from '../cliOptions.js';
import { addDetectorOptions, detectorParamsFromFlags } from '../detectorFlags.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { detectDay } from '../detectDay.js';
import { formatDetectSummary } from '../formatSummary.js';
import { CliError, EXIT } from '../exitCodes.js';
import { tryLockServiceDay } from '../../storage/dayLocks.js';

export function registerDetect(program: Command, context: CommandContext): void {
  addDetectorOptions(
    program
      .command('detect')
      .description('score one service day: set rides.is_outlier (with reason and score) for its rides and record the run')
      .requiredOption('--date <YYYY-MM-DD>', 'service day to score', parseDate)
      .option('--json', 'print the result as JSON instead of the summary'),
  )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; eps: number; minSamples: number; minClusterShare: number; json?: boolean }) => {
      const db = await openConfiguredDatabase(context.config(), { requireSchema: true });
      try {
        const release = await tryLockServiceDay(db, options.date);
        if (!release) throw new CliError(`${options.date} is being scored by another process (a scheduler or a backfill); try again when it is done`, EXIT.failed);
        let result;
        try {
          result = await detectDay(db, {
            serviceDate: options.date,
            params: detectorParamsFromFlags(options),
            trigger: 'cli',
          });
        } finally {
          await release();
        }
        console.log(options.json ? JSON.stringify(result, null, 2) : formatDetectSummary(result, db.describe));
        if (result.status !== 'succeeded') process.exitCode = EXIT.failed;
      } finally {
        await db.close();
      }
    });
}
