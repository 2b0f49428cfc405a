// `ridescan query`: one read-only SQL statement, rows printed.
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, type CommandContext } from '../options.js';
import { formatTable } from '../format/table.js';

export function register(program: Command, context: CommandContext): void {
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
      const { query } = await import('../../usecases/inspect.js');
      const result = await query(context.config(), sql);
      if (options.json) {
        context.io.out(JSON.stringify(result.rows, null, 2));
        return;
      }
      const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
      context.io.out(formatTable(result.columns, result.rows.map((row) => result.columns.map((c) => cell(row[c])))));
      context.io.out(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
    });
}
