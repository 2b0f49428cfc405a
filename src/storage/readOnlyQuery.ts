// An ad hoc query, as the operations team would type it into psql, in a read-only transaction:
// whatever it says, it cannot change the flags.
import type { Database } from './database.js';

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

export async function runReadOnlyQuery(db: Database, sql: string): Promise<QueryResult> {
  return db.knex.transaction(
    async (trx) => {
      const result = await trx.raw(sql);
      const rows = (result.rows ?? []) as Record<string, unknown>[];
      const fields = (result.fields ?? []) as { name: string }[];
      const columns = fields.length > 0 ? fields.map((f) => f.name) : rows.length > 0 ? Object.keys(rows[0]) : [];
      return { columns, rows };
    },
    { readOnly: true },
  );
}
