#!/usr/bin/env node
// The `ridescan` entry point. It only parses and calls: each command lives in a module of its own
// under cli/commands/, and only the module of the command that runs is loaded, so that --version
// and --help load no database driver, TF.js or Vega (1.07 s before, when every command was
// imported up front). This is also the one module that imports jobs/, to wire them in.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { RidescanConfig } from './config.js';
import { EXIT, exitCodeOf, type ExitCode } from './errors.js';
import { processIo, type CommandContext, type Io } from './cli/context.js';
import { ENVIRONMENT_HELP } from './cli/help.js';

interface CommandModule {
  register(program: Command, context: CommandContext): void;
}

/** Every command: its name and one line for the top-level help, and its module, loaded on use. */
const COMMANDS: { name: string; summary: string; load(): Promise<CommandModule> }[] = [
  { name: 'demo', summary: 'the main job on a fresh machine (npm start): migrate, simulate a day, score it, print the summary', load: () => import('./cli/commands/demo.js') },
  { name: 'migrate', summary: 'create or update the database schema; safe to run again', load: () => import('./cli/commands/migrate.js') },
  { name: 'time-zone', summary: "show the database's service time zone, or change it (rides move to their new service days)", load: () => import('./cli/commands/timeZone.js') },
  { name: 'load', summary: 'load ride files (company CSV, NYC TLC CSV or Parquet), validated, with an account of every row', load: () => import('./cli/commands/load.js') },
  { name: 'simulate', summary: "insert a simulated service day drawn from the book's distributions", load: () => import('./cli/commands/simulate.js') },
  { name: 'detect', summary: 'score one service day: flag, reason and score for each ride, and a recorded run', load: () => import('./cli/commands/detect.js') },
  { name: 'schedule', summary: 'run the nightly job on RIDESCAN_CRON, catching up on missing and stale days', load: () => import('./cli/commands/schedule.js') },
  { name: 'backfill', summary: 'score every service day of a range, with a result per day', load: () => import('./cli/commands/backfill.js') },
  { name: 'worker', summary: 'score queued days (backfill --queue, schedule) until SIGTERM; run any number of them against a server', load: () => import('./cli/commands/worker.js') },
  { name: 'prune', summary: 'drop the rides of the service days before a day, keeping their run history', load: () => import('./cli/commands/prune.js') },
  { name: 'status', summary: 'where recent service days stand: last run, never scored, stale', load: () => import('./cli/commands/status.js') },
  { name: 'runs', summary: 'the run history, newest first', load: () => import('./cli/commands/runs.js') },
  { name: 'query', summary: 'run one read-only SQL query and print the rows', load: () => import('./cli/commands/query.js') },
  { name: 'report', summary: "write the operations team's HTML morning report for a day", load: () => import('./cli/commands/report.js') },
  { name: 'evaluate', summary: 'measure detection quality on simulated labelled days (no database)', load: () => import('./cli/commands/evaluate.js') },
];

export interface MainOptions {
  /** the environment to resolve the configuration from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** where to print (default the process's stdout and stderr) */
  io?: Io;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  let exitCode: ExitCode = EXIT.ok;
  let config: RidescanConfig | undefined;
  const context: CommandContext = {
    // notices (RIDESCAN_TZ deprecated) go to standard error, one line each
    config: () => (config ??= { ...resolveConfig!(options.env ?? process.env), notice: (line) => io.err(`ridescan: ${line}`) }),
    io,
    setExitCode: (code) => {
      exitCode = code;
    },
    jobs: { nightly: async () => (await import('../../jobs/nightly.js')).NIGHTLY_JOB },
  };
  const program = new Command('ridescan')
    .description('Batch anomaly detection for taxi rides: DBSCAN on ride distance and duration, flags written back to PostgreSQL.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .exitOverride();
  try {
    if (argv.length <= 2) {
      registerStubs(program);
      program.outputHelp();
      return EXIT.usage;
    }
    // the command's name is the first word; `ridescan help detect` asks for detect's help
    const words = argv.slice(2).filter((a) => !a.startsWith('-'));
    const name = words[0] === 'help' ? words[1] : words[0];
    const chosen = COMMANDS.find((c) => c.name === name);
    if (chosen) {
      // config.js brings zod and node-cron, which --help and --version do without
      resolveConfig ??= (await import('./config.js')).resolveConfig;
      (await chosen.load()).register(program, context);
      // subcommands inherit exitOverride and the output only when set before they are added: set them on each
      for (const command of program.commands) command.exitOverride();
    } else {
      registerStubs(program);
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything else commander rejects is a usage error
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code, message } = exitCodeOf(error);
    io.err(`ridescan: ${message}`);
    return code;
  }
}

let resolveConfig: ((env: NodeJS.ProcessEnv) => RidescanConfig) | undefined;

/** The commands as names and summaries only, for the top-level help. */
function registerStubs(program: Command): void {
  for (const c of COMMANDS) program.command(c.name).description(c.summary).helpOption(false);
}

function packageVersion(): string {
  // dist/src/application/cli.js and src/application/cli.ts both sit below the package root
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')).version as string;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

// Run only as the program itself (bin link or `node cli.js`), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv);
}
