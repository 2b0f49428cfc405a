// `ridescan query`: one read-only SQL query, rows printed.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, asNumber, parseWith, type CommandContext } from '../options.js';
import { formatTable } from '../format/table.js';

// 10,000 rows is more than anyone reads in a terminal and a few MB at most; the hard ceiling keeps
// the printed table and the JSON text bounded in memory: 150k rows used to take 3.4 GB.
const DEFAULT_MAX_ROWS = 10_000;
const MAX_MAX_ROWS = 50_000;
const parseMaxRows = parseWith(
  z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_MAX_ROWS, `must be at most ${MAX_MAX_ROWS.toLocaleString('en-US')}`),
  asNumber,
);
const parseTimeout = parseWith(z.number().positive('must be more than 0').max(86_400, 'must be at most 86400 (a day)'), asNumber);

export function register(program: Command, context: CommandContext): void {
  program
    .command('query')
    .description(
      'run one read-only SQL query on the configured database and print the rows: the way to ask the embedded database ' +
        "what psql would ask a server (e.g. the README's queries on the ride_outliers view). " +
        'The query runs as the ridescan_reader role (SELECT on the ops tables and views only, made by `ridescan migrate`), ' +
        'in a read-only transaction that is rolled back, through the extended protocol (one statement) and as a cursor ' +
        '(a query only: no COPY, DO, SET, COMMIT or data-modifying WITH); timestamps print in the service time zone, dates as dates.',
    )
    .argument('<sql>', 'the query, e.g. "select outlier_reason, count(*) from ride_outliers group by 1"')
    .option('--json', 'print the rows as JSON objects (a repeated column name gets _2, _3, ...)')
    .addOption(new Option('--timeout <s>', 'stop the statement after this many seconds (exit 1); on the embedded database, which cannot interrupt a statement, the process is ended').argParser(parseTimeout).default(60))
    .addOption(
      new Option('--max-rows <n>', `print at most this many rows (up to ${MAX_MAX_ROWS.toLocaleString('en-US')}); the statement stops there and a note says so`)
        .argParser(parseMaxRows)
        .default(DEFAULT_MAX_ROWS),
    )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (sql: string, options: { json?: boolean; timeout: number; maxRows: number }) => {
      const { query, jsonCell } = await import('../../usecases/inspect.js');
      
      // Ctrl-C or a SIGTERM cancels the statement on the server before the process goes.
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      try {
        result = await query(context.config(), sql, { timeoutMs: options.timeout * 1000, maxRows: options.maxRows, signal: abort.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const { columns, rows, truncated } = result;
      const note = truncated
        ? `first ${rows.length.toLocaleString('en-US')} rows only: the statement has more. Add LIMIT or a narrower WHERE, aggregate, or raise --max-rows (up to ${MAX_MAX_ROWS.toLocaleString('en-US')}).`
        : null;
      if (options.json) {
        const seen = new Map<string, number>();
        const keys = columns.map((c) => {
          const n = (seen.get(c.name) ?? 0) + 1;
          seen.set(c.name, n);
          return n === 1 ? c.name : `${c.name}_${n}`;
        });
        context.io.out(JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((k, i) => [k, jsonCell(row[i], columns[i].typeOid)]))), null, 2));
        if (note) context.io.err(note);
        return;
      }
      context.io.out(formatTable(columns.map((c) => c.name), rows.map((row) => row.map((v) => v ?? ''))));
      context.io.out(note ? `(${note})` : `(${rows.length} row${rows.length === 1 ? '' : 's'})`);
    });
}
