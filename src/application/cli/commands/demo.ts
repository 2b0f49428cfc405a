// `ridescan demo` (npm start): the main job on a fresh machine.
import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, parseCount, parseDate, type CommandContext } from '../options.js';
import { EXIT } from '../../errors.js';
import { formatTable } from '../format/table.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('the main job on a fresh machine (npm start): migrate, put a realistic day of rides in, detect, print the summary')
    .addOption(new Option('--date <YYYY-MM-DD>', 'service day of the demo').argParser(parseDate).default('2021-01-01'))
    .addOption(new Option('--rides <n>', 'simulated rides, when the day has none yet').argParser(parseCount).default(20_000))
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; rides: number }) => {
      const { runDemo } = await import('../../usecases/demo.js');
      const { formatDetectSummary } = await import('../format/detectSummary.js');
      const { io } = context;
      const { outcome, top, database } = await runDemo(context.config(), options, io.out);
      io.out('');
      if (outcome.status === 'skipped' || !outcome.run) {
        io.err(`ridescan: ${options.date} was not scored: ${outcome.status === 'skipped' ? outcome.why : outcome.status === 'failed' ? outcome.error : ''}`);
        context.setExitCode(EXIT.failed);
        return;
      }
      io.out(formatDetectSummary(outcome.run, database));
      if (outcome.status !== 'succeeded') {
        context.setExitCode(EXIT.failed);
        return;
      }
      io.out('');
      io.out(`top outliers by score (select * from rides where service_date = '${options.date}' and is_outlier order by outlier_score desc nulls first):`);
      io.out(
        formatTable(
          ['ride_id', 'distance_km', 'duration_min', 'reason', 'score'],
          top.map((r) => [r.ride_id, r.distance_km.toFixed(2), r.duration_min.toFixed(1), r.outlier_reason, r.outlier_score === null ? '' : String(r.outlier_score)]),
        ),
      );
    });
}
