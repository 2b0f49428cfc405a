// `ridescan backfill`: every day of a range through the scoring pipeline, a result per day.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseDate, parseWith, type CommandContext, type Io } from '../options.js';
import { addDetectorOptions, detectorParamsFromFlags } from '../detectorOptions.js';
import { logSink } from '../context.js';
import { EXIT, UsageError } from '../../errors.js';
import { formatTable } from '../format/table.js';
import type { BackfillProgress, DayResult } from '../../usecases/backfill.js';

/** Ten years of days: a range past this is a typo, and its plan alone would fill the memory. */
const MAX_RANGE_DAYS = 3660;

const parseConcurrency = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(16, 'must be at most 16'), Number);

interface BackfillFlags {
  from: string;
  to: string;
  onlyMissing?: boolean;
  stale?: boolean;
  concurrency: number;
  dryRun?: boolean;
  json?: boolean;
  queue?: boolean;
  recompute?: boolean;
  [flag: string]: unknown;
}

export function register(program: Command, context: CommandContext): void {
  addDetectorOptions(
    program
      .command('backfill')
      .description(
        'score every service day from --from to --to through the same job as the schedule; a failed day never stops the others. ' +
          'Ends with a result per day and exit code 0 (all succeeded or skipped) or 1 (a day failed). ' +
          'Resumable: after a crash or Ctrl-C, run it again with --only-missing.',
      )
      .requiredOption('--from <YYYY-MM-DD>', 'first service day', parseDate)
      .requiredOption('--to <YYYY-MM-DD>', 'last service day (inclusive)', parseDate)
      .option('--only-missing', 'only days without a succeeded run')
      .option('--stale', 'only days whose flags went stale (rides arrived after scoring); with --only-missing, days that are either')
      .addOption(new Option('--concurrency <n>', 'days scored at once (a server only; the embedded database does one at a time)').argParser(parseConcurrency).default(1))
      .option(
        '--queue',
        'queue one job per day for `ridescan worker` processes and follow them to the end (same results and exit codes); ' +
          `on a server with no worker running, nothing is queued and the exit code is ${EXIT.noWorker}; on the embedded database a worker runs in this process`,
      )
      .option('--recompute', "compute every day, even one whose rides, flags and the detector's inputs are as its last run left them (whose result is otherwise recorded again)")
      .option('--dry-run', 'list what would be done, change nothing')
      .option('--json', 'print the results as JSON'),
  )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: BackfillFlags) => {
      if (options.from > options.to) throw new UsageError(`--from ${options.from} is after --to ${options.to}`);
      const days = Math.round((Date.parse(options.to) - Date.parse(options.from)) / 86_400_000) + 1;
      if (days > MAX_RANGE_DAYS) throw new UsageError(`--from ${options.from} --to ${options.to} spans ${days.toLocaleString('en-US')} days; at most ${MAX_RANGE_DAYS} at once`);
      const params = detectorParamsFromFlags(options);
      const config = context.config();
      const { io } = context;
      const { backfill } = await import('../../usecases/backfill.js');
      const { createLogger } = await import('../../logger.js');
      const interactive = io.stderrIsTTY && !options.json && !options.dryRun;
      // On a terminal the bar shows progress and only warnings are logged; otherwise a JSON
      // line per day goes to stderr and the results to stdout.
      const log = createLogger(config, logSink(io, 'err'), { level: interactive ? 'warn' : undefined });
      const { createAlerts, commandAlertSender } = await import('../../alerts.js');
      const alerts = config.alertCommand && !options.dryRun ? createAlerts(commandAlertSender(config.alertCommand, log)) : undefined;
      const started = performance.now();
      const cliProgress = interactive ? (await import('cli-progress')).default : null;
      const bar = cliProgress
        ? new cliProgress.SingleBar(
            { format: 'backfill [{bar}] {value}/{total} days | {rides} rides | {ridesPerSecond} rides/s | ETA {eta_formatted} | {day}', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let stopping = false;
      const onSignal = () => {
        stopping = true;
        bar?.stop();
        io.err(
          options.queue && config.databaseUrl
            ? '\nstopping: no longer following; the queued days stay queued and the workers score them (`ridescan status` shows the queue)'
            : '\nstopping after the days in progress; run again with --only-missing to finish',
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      try {
        result = await backfill(
          config,
          { from: options.from, to: options.to, onlyMissing: options.onlyMissing === true, stale: options.stale === true },
          {
            dryRun: options.dryRun === true,
            queue: options.queue === true,
            params,
            concurrency: options.concurrency,
            onlyIfNeeded: options.onlyMissing === true || options.stale === true,
            recompute: options.recompute === true,
            log,
            shouldStop: () => stopping,
            alerts,
            onProgress: (p: BackfillProgress) => {
              if (p.daysDone === 1) bar?.start(p.daysToScore, 0, { rides: 0, ridesPerSecond: 0, day: '' });
              const seconds = (performance.now() - started) / 1000;
              bar?.update(p.daysDone, { rides: p.ridesDone.toLocaleString('en-US'), ridesPerSecond: Math.round(p.ridesDone / seconds).toLocaleString('en-US'), day: p.last.day });
            },
          },
        );
      } finally {
        bar?.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const { plan, outcomes } = result;
      if (!outcomes) {
        const toScore = plan.filter((p) => p.action === 'score');
        if (options.json) io.out(JSON.stringify(plan, null, 2));
        else {
          io.out(formatTable(['day', 'rides', 'state', 'would'], plan.map((p) => [p.day, p.rides.toLocaleString('en-US'), p.state, p.action === 'score' ? 'score' : `skip: ${p.why}`])));
          io.out(`\ndry run: would score ${toScore.length} of ${plan.length} days (${sum(toScore.map((p) => p.rides)).toLocaleString('en-US')} rides); nothing was changed`);
        }
        return;
      }
      printResults(io, outcomes, (performance.now() - started) / 1000, options.json === true);
      if (outcomes.some((o) => o.status === 'failed')) context.setExitCode(EXIT.failed);
      else if (result.workersGone) {
        io.err(`ridescan: no worker is running any more: the days marked 'still queued' wait in the queue; start \`ridescan worker\``);
        context.setExitCode(EXIT.noWorker);
      }
    });
}

function printResults(io: Io, outcomes: DayResult[], seconds: number, json: boolean): void {
  const succeeded = outcomes.filter((o) => o.status === 'succeeded');
  const rides = sum(succeeded.map((o) => (o.status === 'succeeded' ? o.run.rides : 0)));
  const totals = {
    days: outcomes.length,
    succeeded: succeeded.length,
    failed: outcomes.filter((o) => o.status === 'failed').length,
    skipped: outcomes.filter((o) => o.status === 'skipped').length,
    rides,
    seconds: Number(seconds.toFixed(2)),
    daysPerSecond: Number((succeeded.length / seconds).toFixed(2)),
    ridesPerSecond: Math.round(rides / seconds),
  };
  if (json) {
    io.out(
      JSON.stringify(
        {
          totals,
          days: outcomes.map((o) =>
            o.status === 'succeeded'
              ? { day: o.day, status: o.status, runId: o.run.runId, rides: o.run.rides, outliers: o.run.outliers, flagsWritten: o.run.flagsWritten, attempts: o.attempts }
              : o.status === 'failed'
                ? { day: o.day, status: o.status, runId: o.run?.runId, error: o.error, attempts: o.attempts }
                : o,
          ),
        },
        null,
        2,
      ),
    );
    return;
  }
  const rows = outcomes.map((o) => {
    if (o.status === 'succeeded') return [o.day, 'succeeded', `#${o.run.runId}`, o.run.rides.toLocaleString('en-US'), o.run.outliers.toLocaleString('en-US'), o.run.flagsWritten.toLocaleString('en-US'), ''];
    if (o.status === 'failed') return [o.day, 'FAILED', o.run ? `#${o.run.runId}` : '', '', '', '', o.error.split('\n')[0].slice(0, 80)];
    return [o.day, 'skipped', '', '', '', '', o.why];
  });
  io.out(formatTable(['day', 'result', 'run', 'rides', 'outliers', 'flags written', 'note'], rows));
  io.out(
    `\n${totals.days} ${totals.days === 1 ? 'day' : 'days'}: ${totals.succeeded} succeeded, ${totals.failed} failed, ${totals.skipped} skipped · ` +
      `${rides.toLocaleString('en-US')} rides in ${totals.seconds} s (${totals.daysPerSecond} days/s, ${totals.ridesPerSecond.toLocaleString('en-US')} rides/s)`,
  );
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
