// `ridescan status`: recent service days, one line each.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../options.js';
import { formatTable } from '../format/table.js';
import { addDays, localDateOf } from '../../serviceDays.js';

const parseDays = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(3660, 'must be at most 3660'), Number);

export function register(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('where recent service days stand: last run per day, days never scored, stale days, and the next tick of the schedule')
    .addOption(new Option('--days <n>', 'how many days back from today').argParser(parseDays).default(14))
    .option('--json', 'print as JSON')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { days: number; json?: boolean }) => {
      const config = context.config();
      const today = localDateOf(new Date(), config.timeZone);
      const { status } = await import('../../usecases/status.js');
      const report = await status(config, { from: addDays(today, -options.days), to: today });
      const { days } = report;
      const neverScored = days.filter((d) => d.state === 'never scored').map((d) => d.day);
      const stale = days.filter((d) => d.state === 'stale').map((d) => d.day);
      const out = context.io.out;
      if (options.json) {
        out(JSON.stringify({ database: report.database, from: report.from, to: report.to, nextTick: report.nextTick, neverScored, stale, days }, null, 2));
        return;
      }
      out(`ridescan status: ${report.database}, service days ${report.from} to ${report.to} (${config.timeZone})\n`);
      out(
        days.length === 0
          ? '(no rides in this range)'
          : formatTable(
              ['day', 'rides', 'unscored', 'state', 'last run', 'run status', 'finished'],
              days.map((d) => [
                d.day,
                d.rides.toLocaleString('en-US'),
                d.unscoredRides.toLocaleString('en-US'),
                d.state,
                d.lastRun ? `#${d.lastRun.id}` : '',
                d.lastRun?.status ?? '',
                d.lastRun?.finishedAt?.toISOString().slice(0, 19).replace('T', ' ') ?? '',
              ]),
            ),
      );
      out(`\nnever scored: ${neverScored.length ? neverScored.join(', ') : 'none'}`);
      out(`stale:        ${stale.length ? stale.join(', ') : 'none'}`);
      out(`next tick:    ${report.nextTick ?? 'none'} (RIDESCAN_CRON '${config.cron}' in ${config.timeZone})`);
    });
}
