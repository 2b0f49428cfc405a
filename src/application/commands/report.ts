import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, parseDate, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { CliError, EXIT } from '../exitCodes.js';

export function defaultReportPath(serviceDate: string): string {
  return join('reports', `ridescan-report-${serviceDate}.html`);
}

export function registerReport(program: Command, context: CommandContext): void {
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
      const config = context.config();
      // Loaded here, not at the top: Vega takes ~0.4 s to load, which no other command should pay.
      const { buildReport, ReportUnavailableError } = await import('../report/buildReport.js');
      const db = await openConfiguredDatabase(config, { requireSchema: true });
      let html: string;
      try {
        ({ html } = await buildReport(db, { serviceDate: options.date, timeZone: config.timeZone }));
      } catch (error) {
        if (error instanceof ReportUnavailableError) throw new CliError(error.message, EXIT.failed);
        throw error;
      } finally {
        await db.close();
      }
      const out = resolve(options.out ?? defaultReportPath(options.date));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, html);
      console.log(out);
    });
}
