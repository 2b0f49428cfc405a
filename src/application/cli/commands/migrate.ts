// `ridescan migrate`: create or update the schema.
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../options.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('migrate')
    .description('create or update the database schema; safe to run again')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      const { migrate } = await import('../../usecases/migrate.js');
      const { results, database } = await migrate(context.config());
      for (const r of results) context.io.out(`${r.status.padEnd(15)}  ${r.name}`);
      context.io.out(`schema current on ${database}`);
    });
}
