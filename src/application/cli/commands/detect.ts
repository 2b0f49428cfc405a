// `ridescan detect --date D`: score one service day through the scoring pipeline.
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, parseDate, type CommandContext } from '../options.js';
import { addDetectorOptions, detectorParamsFromFlags } from '../detectorOptions.js';
import { EXIT, WorkFailedError } from '../../errors.js';

export function register(program: Command, context: CommandContext): void {
  addDetectorOptions(
    program
      .command('detect')
      .description('score one service day: set rides.is_outlier (with reason and score) for its rides and record the run')
      .requiredOption('--date <YYYY-MM-DD>', 'service day to score', parseDate)
      .option('--recompute', "compute the day even when its rides, flags and the detector's inputs are as the last run left them (whose result is otherwise recorded again)")
      .option('--json', 'print the result as JSON instead of the summary'),
  )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; json?: boolean; recompute?: boolean; [flag: string]: unknown }) => {
      const params = detectorParamsFromFlags(options);
      const { detect } = await import('../../usecases/detect.js');
      const { outcome, database } = await detect(context.config(), { day: options.date, params, recompute: options.recompute === true });
      if (outcome.status === 'skipped') {
        throw new WorkFailedError(`${options.date} is being scored by another process (a scheduler or a backfill); try again when it is done`);
      }
      if (!outcome.run) throw new WorkFailedError(`${options.date} could not be scored: ${outcome.status === 'failed' ? outcome.error : ''}`);
      const { formatDetectSummary } = await import('../format/detectSummary.js');
      context.io.out(options.json ? JSON.stringify(outcome.run, null, 2) : formatDetectSummary(outcome.run, database));
      if (outcome.status !== 'succeeded') context.setExitCode(EXIT.failed);
    });
}
