// `ridescan report --date D`: the morning report as one HTML file.
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, parseDate, type CommandContext } from '../options.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('report')
    .description(
      "write the operations team's morning report for one service day: one self-contained HTML file with the " +
        'distance/duration scatter (outliers by reason), the flag rate of the last 30 days, the top outliers by score ' +
        'and the latest run. Prints the path of the file.',
    )
    .requiredOption('--date <YYYY-MM-DD>', 'service day to report on', parseDate)
    .option('--out <file>', 'where to write the HTML (default: reports/ridescan-report-<date>.html)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; out?: string }) => {
      // Vega takes ~0.4 s to load, which no other command should pay: only this one imports it.
      const { writeReport } = await import('../../usecases/report.js');
      context.io.out(await writeReport(context.config(), { serviceDate: options.date, out: options.out }));
    });
}
