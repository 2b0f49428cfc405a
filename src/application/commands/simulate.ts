import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, parseCount, parseDate, parseSeed, parseShareInclusive, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { simulateDay } from '../simulateDay.js';
import { BOOK_ANOMALY_SHARE } from '../../compute/simulation/simulateRides.js';

export function registerSimulate(program: Command, context: CommandContext): void {
  program
    .command('simulate')
    .description(
      "insert a simulated service day drawn from the book's distributions: distance U(0, 10) km at N(30, 5) km/h, " +
        'plus equal groups of long distances (30·U km), high speed N(50, 10) and low speed N(15, 4). ' +
        'Seeded: the same date and seed give the same rides, inserted once.',
    )
    .requiredOption('--date <YYYY-MM-DD>', 'service day to fill', parseDate)
    .requiredOption('--rides <n>', 'how many rides', parseCount)
    .addOption(new Option('--seed <n>', 'random seed').argParser(parseSeed).default(1))
    .addOption(
      new Option('--anomaly-share <share>', "share of anomalous rides, split evenly over the three groups (the book's is 0.075)")
        .argParser(parseShareInclusive)
        .default(BOOK_ANOMALY_SHARE),
    )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; rides: number; seed: number; anomalyShare: number }) => {
      const config = context.config();
      const db = await openConfiguredDatabase(config, { requireSchema: true });
      try {
        const result = await simulateDay(db, {
          serviceDate: options.date,
          rides: options.rides,
          seed: options.seed,
          anomalyShare: options.anomalyShare,
          timeZone: config.timeZone,
        });
        console.log(
          `simulated ${options.rides} rides for ${options.date} (seed ${options.seed}): ${result.inserted} inserted, ${result.alreadyPresent} already present`,
        );
      } finally {
        await db.close();
      }
    });
}
