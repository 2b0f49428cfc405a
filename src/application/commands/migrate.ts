import type { Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { migrateToLatest } from '../../storage/migrate.js';

export function registerMigrate(program: Command, context: CommandContext): void {
  program
    .command('migrate')
    .description('create or update the database schema; safe to run again')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      const db = await openConfiguredDatabase(context.config(), { requireSchema: false });
      try {
        const results = await migrateToLatest(db);
        for (const r of results) console.log(`${r.status.padEnd(15)}  ${r.name}`);
        console.log(`schema current on ${db.describe}`);
      } finally {
        await db.close();
      }
    });
}
