#!/usr/bin/env node
// The `ridescan` command line. Each command validates its flags at the edge, opens the database
// the configuration names, does its work and turns the outcome into an exit code (exitCodes.ts).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { resolveConfig, ConfigError, IsoDate, DbscanFlags, DEFAULT_DBSCAN, describeIssues, type RidescanConfig } from './config.js';
import { CliError, EXIT } from './exitCodes.js';
import { openConfiguredDatabase } from './openConfiguredDatabase.js';
import { migrateToLatest } from '../storage/migrate.js';
import { detectDay } from './detectDay.js';
import { simulateDay } from './simulateDay.js';
import { formatDetectSummary } from './formatSummary.js';
import { runDemo } from './demo.js';

const ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL    PostgreSQL server to use (postgres://user:pass@host/db); unset = the embedded
                  database (PGlite) in RIDESCAN_HOME/db
  RIDESCAN_HOME   where the embedded database lives (default ./.ridescan)
  RIDESCAN_TZ     time zone of service days: a ride belongs to the local date of its pickup
                  (default UTC)

Exit codes:
  0  done
  1  the work failed (the run is recorded as failed; previous flags are intact)
  2  usage or configuration error: nothing was done
  3  the database cannot be reached or its schema is not current (run \`ridescan migrate\`)`;

/** A commander argument parser from a zod schema: the message names the flag. */
function parseWith<T>(schema: z.ZodType<T>, coerce: (raw: string) => unknown = (raw) => raw) {
  return (raw: string): T => {
    const parsed = schema.safeParse(coerce(raw));
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  };
}
const asNumber = (raw: string) => (raw.trim() === '' ? NaN : Number(raw));
const parseDate = parseWith(IsoDate);
const parseEps = parseWith(DbscanFlags.shape.eps, asNumber);
const parseMinSamples = parseWith(DbscanFlags.shape.minSamples, asNumber);
const parseShare = parseWith(DbscanFlags.shape.minClusterShare, asNumber);
const parseCount = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(50_000_000, 'must be at most 50,000,000'), asNumber);
const parseSeed = parseWith(z.number().int('must be a whole number').min(0, 'must be 0 or more'), asNumber);
const parseAnomalyShare = parseWith(z.number().min(0, 'must be within [0, 1]').max(1, 'must be within [0, 1]'), asNumber);

function dbscanOptions(command: Command): Command {
  return command
    .addOption(new Option('--eps <number>', 'DBSCAN neighbourhood radius, in standard deviations').argParser(parseEps).default(DEFAULT_DBSCAN.eps))
    .addOption(
      new Option('--min-samples <n>', 'rides within eps (itself included) that make a ride a core ride')
        .argParser(parseMinSamples)
        .default(DEFAULT_DBSCAN.minSamples),
    )
    .addOption(
      new Option('--min-cluster-share <share>', 'clusters holding less than this share of the day are outliers; 0 = noise only (the book)')
        .argParser(parseShare)
        .default(DEFAULT_DBSCAN.minClusterShare),
    );
}

export function buildProgram(config: () => RidescanConfig): Command {
  const program = new Command('ridescan')
    .description('Batch anomaly detection for taxi rides: DBSCAN on ride distance and duration, flags written back to PostgreSQL.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride();

  program
    .command('migrate')
    .description('create or update the database schema (rides, detection_runs); safe to run again')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      const db = await openConfiguredDatabase(config(), { requireSchema: false });
      try {
        const results = await migrateToLatest(db);
        for (const r of results) console.log(`${r.status === 'applied' ? 'applied        ' : 'already applied'}  ${r.name}`);
        console.log(`schema current on ${db.describe}`);
      } finally {
        await db.close();
      }
    });

  program
    .command('simulate')
    .description("insert a simulated service day of rides drawn from the book's distributions (seeded: the same seed gives the same rides, inserted once)")
    .requiredOption('--date <YYYY-MM-DD>', 'service day to fill', parseDate)
    .requiredOption('--rides <n>', 'how many rides', parseCount)
    .addOption(new Option('--seed <n>', 'random seed').argParser(parseSeed).default(1))
    .addOption(
      new Option('--anomaly-share <share>', 'share of anomalous rides, split evenly over long distance, high speed and low speed')
        .argParser(parseAnomalyShare)
        .default(0.075),
    )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; rides: number; seed: number; anomalyShare: number }) => {
      const cfg = config();
      const db = await openConfiguredDatabase(cfg, { requireSchema: true });
      try {
        const result = await simulateDay(db, {
          serviceDate: options.date,
          rides: options.rides,
          seed: options.seed,
          anomalyShare: options.anomalyShare,
          timeZone: cfg.timeZone,
        });
        console.log(
          `simulated ${options.rides} rides for ${options.date} (seed ${options.seed}): ${result.inserted} inserted, ${result.alreadyPresent} already present`,
        );
      } finally {
        await db.close();
      }
    });

  dbscanOptions(
    program
      .command('detect')
      .description("score one service day: flag outlier rides in rides.is_outlier (with reason and score) and record the run")
      .requiredOption('--date <YYYY-MM-DD>', 'service day to score', parseDate)
      .option('--json', 'print the result as JSON instead of the summary'),
  )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; eps: number; minSamples: number; minClusterShare: number; json?: boolean }) => {
      const db = await openConfiguredDatabase(config(), { requireSchema: true });
      try {
        const result = await detectDay(db, {
          serviceDate: options.date,
          params: { eps: options.eps, minSamples: options.minSamples, minClusterShare: options.minClusterShare },
          trigger: 'cli',
        });
        console.log(options.json ? JSON.stringify(result, null, 2) : formatDetectSummary(result, db.describe));
        if (result.status !== 'succeeded') process.exitCode = EXIT.failed;
      } finally {
        await db.close();
      }
    });

  program
    .command('demo')
    .description('the main job on a fresh machine (npm start): migrate, put a realistic day of rides in, detect, print the summary')
    .addOption(new Option('--date <YYYY-MM-DD>', 'service day of the demo').argParser(parseDate).default('2021-01-01'))
    .addOption(new Option('--rides <n>', 'simulated rides').argParser(parseCount).default(20_000))
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; rides: number }) => {
      const code = await runDemo(config(), options);
      if (code !== EXIT.ok) process.exitCode = code;
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let resolved: RidescanConfig | undefined;
  const config = () => (resolved ??= resolveConfig());
  const program = buildProgram(config);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit 0; anything else commander rejects is a usage error
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError) {
      console.error(`ridescan: configuration error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof z.ZodError) {
      console.error(`ridescan: ${describeIssues(error)}`);
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      console.error(`ridescan: ${error.message}`);
      return error.exitCode;
    }
    console.error(`ridescan: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failed;
  }
}

// Run only as the program itself (bin link or `node cli.js`), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv);
}
