// `ridescan simulate`: a seeded day of simulated rides.
import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, parseCount, parseDate, parseSeed, parseShareInclusive, type CommandContext } from '../options.js';

/** The book's share of anomalous rides, 30 of 400 (compute/simulateRides.ts BOOK_ANOMALY_SHARE). */
const BOOK_ANOMALY_SHARE = 30 / 400;

export function register(program: Command, context: CommandContext): void {
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
      const { simulate } = await import('../../usecases/simulate.js');
      const result = await simulate(context.config(), {
        serviceDate: options.date,
        rides: options.rides,
        seed: options.seed,
        anomalyShare: options.anomalyShare,
      });
      context.io.out(
        `simulated ${options.rides} rides for ${options.date} (seed ${options.seed}): ${result.inserted} inserted, ${result.alreadyPresent} already present`,
      );
    });
}
