// `ridescan schedule`: the long-running nightly scheduler.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../options.js';
import { addDetectorOptions, detectorParamsFromFlags } from '../detectorOptions.js';
import { logSink } from '../context.js';

const parseDays = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(366, 'must be at most 366'), Number);
const parseSeconds = parseWith(z.number().min(0, 'must be 0 or more').max(3600, 'must be at most 3600'), Number);

/** NIGHTLY_JOB.defaultCatchUpDays in jobs/nightly.ts; repeated here so that --help loads no job */
const DEFAULT_CATCH_UP_DAYS = 7;

export function register(program: Command, context: CommandContext): void {
  addDetectorOptions(
    program
      .command('schedule')
      .description(
        'run the nightly job: on every tick of RIDESCAN_CRON (in the service time zone of the database) score the service day that just ended, ' +
          'and catch up on recent days that have rides but no succeeded run, or whose flags went stale. ' +
          'Catches up at start too. Stops on SIGTERM/SIGINT after the run in progress (within --grace-seconds).',
      )
      .option('--once', 'run one tick (with catch-up) and exit: for hosts with their own cron, and for tests')
      .option('--cron <expression>', 'overrides RIDESCAN_CRON')
      .addOption(
        new Option('--catch-up-days <n>', 'how many days back, ending with the day that just ended, to check for missing or stale days')
          .argParser(parseDays)
          .default(DEFAULT_CATCH_UP_DAYS),
      )
      .addOption(new Option('--grace-seconds <s>', 'on SIGTERM/SIGINT, how long the run in progress may take to finish').argParser(parseSeconds).default(60)),
  )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { once?: boolean; cron?: string; catchUpDays: number; graceSeconds: number; [flag: string]: unknown }) => {
      const params = detectorParamsFromFlags(options);
      const config = context.config();
      const { runScheduler } = await import('../../usecases/schedule.js');
      const { createLogger } = await import('../../logger.js');
      const log = createLogger(config, logSink(context.io, 'out'));
      const { createAlerts, commandAlertSender } = await import('../../alerts.js');
      const code = await runScheduler({
        job: await context.jobs.nightly(),
        config,
        cron: options.cron ?? config.cron,
        catchUpDays: options.catchUpDays,
        once: options.once === true,
        params,
        log,
        graceMs: options.graceSeconds * 1000,
        alerts: config.alertCommand ? createAlerts(commandAlertSender(config.alertCommand, log)) : undefined,
      });
      context.setExitCode(code);
    });
}
