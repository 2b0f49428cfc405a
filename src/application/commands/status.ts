import { Option, type Command } from 'commander';
import cron from 'node-cron';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { dayStatuses } from '../../storage/dayStatus.js';
import { addDays, localDateOf } from '../serviceDays.js';
import { formatTable } from '../formatTable.js';
import { validateCron } from '../scheduler.js';

const parseDays = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(3660, 'must be at most 3660'), Number);

export function registerStatus(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description('where recent service days stand: last run per day, days never scored, stale days, and the next tick of the schedule')
    .addOption(new Option('--days <n>', 'how many days back from today').argParser(parseDays).default(14))
    .option('--json', 'print as JSON')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { days: number; json?: boolean }) => {
      const config = context.config();
      validateCron(config.cron);
      const today = localDateOf(new Date(), config.timeZone);
      const from = addDays(today, -options.days);
      const db = await openConfiguredDatabase(config, { requireSchema: true });
      try {
        const days = await dayStatuses(db, from, today);
        // a task only knows its next run once scheduled; it is destroyed before it could fire
        const probe = cron.schedule(config.cron, () => {}, { timezone: config.timeZone });
        const nextTick = probe.getNextRun()?.toISOString() ?? null;
        await probe.destroy();
        const neverScored = days.filter((d) => d.state === 'never scored').map((d) => d.day);
        const stale = days.filter((d) => d.state === 'stale').map((d) => d.day);
        if (options.json) {
          console.log(JSON.stringify({ database: db.describe, from, to: today, nextTick, neverScored, stale, days }, null, 2));
          return;
        }
        console.log(`ridescan status: ${db.describe}, service days ${from} to ${today} (${config.timeZone})\n`);
        console.log(
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
        console.log(`\nnever scored: ${neverScored.length ? neverScored.join(', ') : 'none'}`);
        console.log(`stale:        ${stale.length ? stale.join(', ') : 'none'}`);
        console.log(`next tick:    ${nextTick ?? 'none'} (RIDESCAN_CRON '${config.cron}' in ${config.timeZone})`);
      } finally {
        await db.close();
      }
    });
}
