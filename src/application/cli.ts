#!/usr/bin/env node
// The `ridescan` command line: one module per command under commands/, registered here.
// Outcomes become exit codes (exitCodes.ts); nothing below prints a stack for a user's mistake.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { resolveConfig, ConfigError, describeIssues, type RidescanConfig } from './config.js';
import { CliError, EXIT } from './exitCodes.js';
import { ENVIRONMENT_HELP, type CommandContext } from './cliOptions.js';
import { registerMigrate } from './commands/migrate.js';
import { registerSimulate } from './commands/simulate.js';
import { registerDetect } from './commands/detect.js';
import { registerDemo } from './commands/demo.js';
import { registerSchedule } from './commands/schedule.js';
import { registerBackfill } from './commands/backfill.js';
import { registerStatus } from './commands/status.js';
import { registerRuns } from './commands/runs.js';
import { registerQuery } from './commands/query.js';
import { registerReport } from './commands/report.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerLoad } from './commands/load.js';

const COMMANDS = [registerMigrate, registerSimulate, registerDetect, registerDemo, registerSchedule, registerBackfill, registerStatus, registerRuns, registerQuery, registerReport, registerLoad, registerEvaluate];

export function buildProgram(context: CommandContext): Command {
  const program = new Command('ridescan')
    .description('Batch anomaly detection for taxi rides: DBSCAN on ride distance and duration, flags written back to PostgreSQL.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride();
  for (const register of COMMANDS) register(program, context);
  // subcommands inherit exitOverride only when set before they are added: set it on each
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let resolved: RidescanConfig | undefined;
  const program = buildProgram({ config: () => (resolved ??= resolveConfig()) });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; anything else commander rejects is a usage error
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
