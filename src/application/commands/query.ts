import type { Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../cliOptions.js';
import { openConfiguredDatabase } from '../openConfiguredDatabase.js';
import { runReadOnlyQuery } from '../../storage/readOnlyQuery.js';
import { formatTable } from '../formatTable.js';
import { CliError, EXIT } from '../exitCodes.js';

export function registerQuery(program: Command, context: CommandContext): void {
  program
    .command('query')
    .description(
      'run one read-only SQL query on the configured database and print the rows: the way to ask the embedded database ' +
        "what psql would ask a server (e.g. the README's queries on the ride_outliers view)",
    )
    .argument('<sql>', 'the query, e.g. "select outlier_reason, count(*) from ride_outliers group by 1"')
    .option('--json', 'print the rows as JSON')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (sql: string, options: { json?: boolean }) => {
      const db = await openConfiguredDatabase(context.config(), { requireSchema: true });
      try {
        let result;
        try {
          result = await runReadOnlyQuery(db, sql);
        } catch (error) {
          throw new CliError(`query failed: ${error instanceof Error ? error.message : String(error)}`, EXIT.failed);
        }
        if (options.json) {
          console.log(JSON.stringify(result.rows, null, 2));
          return;
        }
        const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
        console.log(formatTable(result.columns, result.rows.map((row) => result.columns.map((c) => cell(row[c])))));
        console.log(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
      } finally {
        await db.close();
      }
    });
}
