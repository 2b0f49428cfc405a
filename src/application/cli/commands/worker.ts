// `ridescan worker`: scores queued days until SIGTERM/SIGINT (usecases/worker.ts).
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../options.js';
import { logSink } from '../context.js';
import { EXIT } from '../../errors.js';

const parseConcurrency = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(16, 'must be at most 16'), Number);

export function register(program: Command, context: CommandContext): void {
  program
    .command('worker')
    .description(
      'score the days queued by `backfill --queue` and `schedule` (one job per day, on the database of DATABASE_URL), until SIGTERM/SIGINT; ' +
        'then the day in progress finishes and the worker exits 0 (a second signal exits 1 at once: the day is retried by another worker). ' +
        'Run as many as you like, on any machine that reaches the database; a worker killed mid-day has its day retried by the others ' +
        'after RIDESCAN_WORKER_RECOVERY_SECONDS.',
    )
    .addOption(new Option('--concurrency <n>', 'days scored at once by this worker (at most 4 count: the pool size)').argParser(parseConcurrency).default(1))
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { concurrency: number }) => {
      const config = context.config();
      const { runWorker } = await import('../../usecases/worker.js');
      const { createLogger } = await import('../../logger.js');
      const log = createLogger(config, logSink(context.io, 'out'));
      const { createAlerts, commandAlertSender } = await import('../../alerts.js');
      let onSignal: (signal: string) => void = () => {};
      const stopSignal = new Promise<string>((resolve) => {
        let told = false;
        onSignal = (signal) => {
          if (told) {
            // asked twice: go now; the day's job lock dies with us and another worker retries it
            log.error({ signal }, 'stopping at once: the day in progress is left to another worker');
            process.exit(EXIT.failed);
          }
          told = true;
          resolve(signal);
        };
      });
      const onTerm = () => onSignal('SIGTERM');
      const onInt = () => onSignal('SIGINT');
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      try {
        const code = await runWorker({
          config,
          concurrency: options.concurrency,
          log,
          alerts: config.alertCommand ? createAlerts(commandAlertSender(config.alertCommand, log)) : undefined,
          stopSignal,
        });
        context.setExitCode(code);
      } finally {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
      }
    });
}
