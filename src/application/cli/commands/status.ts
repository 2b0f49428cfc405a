// `ridescan status`: the service days of a range, one line each, days without rides included.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseDate, parseWith, type CommandContext } from '../options.js';
import { formatTable } from '../format/table.js';
import { describeTimeZone } from '../format/timeZone.js';
import { UsageError } from '../../errors.js';
import { addDays } from '../../serviceDays.js';
import type { DayOverview } from '../../../storage/dayStatus.js';
import type { QueueOverview } from '../../../storage/jobQueue.js';

/**
 * A hundred years of days. Not a policy but memory: every day of the range is an object held and
 * a line printed. Measured on the TLC sample's database (PGlite): 36,525 days took 4.4-5.0 s with
 * the database's start, ~100 MB more heap at the peak, 11 MB of --json; the whole span of
 * accepted dates (1900-9999, 2.96 million days) would be ~8 GB, which a typo must not ask for.
 */
export const MAX_STATUS_DAYS = 36_525;
const DEFAULT_DAYS = 14;

const parseDays = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_STATUS_DAYS, `must be at most ${MAX_STATUS_DAYS} (a hundred years)`), Number);

export function register(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description(
      'one line per service day of a range (days without rides too): rides, rides scored, outliers, flag rate, top reasons, ' +
        'the latest run, and whether the day is scored, stale, never scored, empty (nothing loaded), no rides (a run found none) or pruned (its rides dropped by prune); ' +
        'then the never-scored and stale days and the next tick of the schedule',
    )
    .option('--from <YYYY-MM-DD>', 'first service day (default: --days before --to)', parseDate)
    .option('--to <YYYY-MM-DD>', 'last service day, inclusive (default: today in the service time zone)', parseDate)
    .addOption(new Option('--days <n>', `without --from: how many days back from --to (default ${DEFAULT_DAYS})`).argParser(parseDays).conflicts('from'))
    .option('--json', 'print as JSON')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { from?: string; to?: string; days?: number; json?: boolean }) => {
      const config = context.config();
      const { status } = await import('../../usecases/status.js');
      const report = await status(config, (today) => {
        const to = options.to ?? today;
        const from = options.from ?? addDays(to, -(options.days ?? DEFAULT_DAYS));
        if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
        const span = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
        if (span > MAX_STATUS_DAYS) throw new UsageError(`--from ${from} --to ${to} spans ${span.toLocaleString('en-US')} days; at most ${MAX_STATUS_DAYS.toLocaleString('en-US')} (a hundred years) at once`);
        return { from, to };
      });
      const { days } = report;
      const neverScored = days.filter((d) => d.state === 'never scored').map((d) => d.day);
      const stale = days.filter((d) => d.state === 'stale').map((d) => d.day);
      const out = context.io.out;
      if (options.json) {
        out(
          JSON.stringify(
            {
              database: report.database,
              from: report.from,
              to: report.to,
              timeZone: report.timeZone,
              nextTick: report.nextTick,
              queue: report.queue,
              neverScored,
              stale,
              // date and status for scripts; the DayStatus fields (day, state, ...) as before
              days: days.map(({ reasons, ...d }) => ({ date: d.day, status: d.state, ...d, topReasons: reasons })),
            },
            null,
            2,
          ),
        );
        return;
      }
      out(`ridescan status: ${report.database}, service days ${report.from} to ${report.to} in ${describeTimeZone(report.timeZone)}\n`);
      out(
        formatTable(
          ['day', 'rides', 'scored', 'outliers', 'flag rate', 'top reasons', 'state', 'last run', 'run status', 'finished (UTC)'],
          days.map((d) => [
            d.day,
            d.rides.toLocaleString('en-US'),
            d.ridesScored.toLocaleString('en-US'),
            d.outliers.toLocaleString('en-US'),
            d.flagRate === null ? '' : `${(100 * d.flagRate).toFixed(2)}%`,
            topReasons(d),
            d.state,
            d.lastRun ? `#${d.lastRun.id}` : '',
            d.lastRun?.status ?? '',
            d.lastRun?.finishedAt?.toISOString().slice(0, 19).replace('T', ' ') ?? '',
          ]),
        ),
      );
      const empty = days.filter((d) => d.state === 'empty').length;
      out(`\nnever scored: ${neverScored.length ? neverScored.join(', ') : 'none'}`);
      out(`stale:        ${stale.length ? stale.join(', ') : 'none'}`);
      out(`empty:        ${empty} of ${days.length} days have no rides loaded`);
      out(`next tick:    ${report.nextTick ?? 'none'} (RIDESCAN_CRON '${config.cron}' in ${report.timeZone.zone})`);
      out(`job queue:    ${describeQueue(report.queue)}`);
      for (const job of report.queue.failedJobs) {
        out(`  failed ${job.day}${job.failedAt ? ` at ${job.failedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC` : ''}: ${job.error}`);
      }
    });
}

function describeQueue(q: QueueOverview): string {
  if (!q.installed) return 'not installed (`ridescan migrate` installs it, for `ridescan worker` and `backfill --queue`)';
  const failed = q.failed > q.failedJobs.length ? `${q.failed} failed (the latest ${q.failedJobs.length} below)` : `${q.failed} failed`;
  return `${q.queued} queued, ${q.running} running, ${failed}`;
}

function topReasons(d: DayOverview): string {
  return d.reasons
    .slice(0, 3)
    .map((r) => `${r.reason} ${r.rides.toLocaleString('en-US')}`)
    .join(', ');
}
