// `ridescan query` reads as a role that can only read, by PostgreSQL's own checks rather than by
// parsing SQL (issue 10: the statement used to run as the migrating user, often a superuser).
//
// Two roles, both NOLOGIN and cluster-wide (shared by every schema of the cluster):
// - ridescan_reader: SELECT on the operations tables and views, USAGE on the schema. `query`
//   runs `SET LOCAL ROLE ridescan_reader`; operators grant it to the ops team's own logins.
// - ridescan_query_owner: a member of ridescan_reader that owns ridescan_read(), the SECURITY
//   DEFINER function that runs the statement. Inside a security-definer function PostgreSQL
//   refuses to change `role` or `session_authorization` ("cannot set parameter role within
//   security-definer function", checked in set_config itself), so a statement cannot undo the
//   role with set_config('role', 'none', true) and regain the session's superuser powers.
//   It is a role of its own, granted to no login, because an owner can CREATE OR REPLACE its
//   function: a member of ridescan_reader must not be able to rewrite what `query` runs.
//
// A migrating user that may not create roles still migrates: the roles and grants are skipped
// with a notice, the function is created owned by that user, and `query` refuses until a DBA has
// run readerSetupSql (it names the statements).
import type { Knex } from 'knex';

export const READER_ROLE = 'ridescan_reader';
export const QUERY_OWNER_ROLE = 'ridescan_query_owner';
export const READ_FUNCTION = 'ridescan_read';
/** what the operations team may read; a migration that adds such a table or view adds it here */
export const READER_RELATIONS = ['rides', 'ride_outliers', 'detection_runs', 'loads', 'ride_rejects', 'zones'];
/** granted by later migrations (008: ride_flag_explanations, 009: settings, 010: zone_pair_baseline, 012: prunes); a DBA's setup statements grant them too */
export const LATER_READER_RELATIONS = ['ride_flag_explanations', 'settings', 'zone_pair_baseline', 'prunes'];

// Returns at most max_rows + 1 rows (the extra one says "there is more"), so a capped query
// stops the statement instead of materialising all of it; each row is the record's text form,
// i.e. every column in PostgreSQL's own text output (dates as dates, timestamps in the session's
// TimeZone), with repeated column names kept. FOR ... IN EXECUTE opens the text as a cursor:
// PostgreSQL refuses more than one statement there ("cannot open multi-query plan as cursor").
const FUNCTION_BODY = `
declare
  r record;
  n bigint := 0;
begin
  for r in execute statement loop
    n := n + 1;
    return next r::text;
    exit when n > max_rows;
  end loop;
end`;

/** the function's source as stored in pg_proc.prosrc; `query` checks it before each call */
export const READ_FUNCTION_SOURCE = FUNCTION_BODY;

/** The statements a DBA runs when the migrating user could not (schema and login named). */
/**
 * Grants the reader role SELECT on a relation a later migration creates, when the role exists and
 * the migrating user may grant it (a DBA's setup statements grant it otherwise): one statement for
 * migrations 008 onwards.
 */
export async function grantToReader(knex: Knex, relation: string): Promise<void> {
  await knex.raw(`
    do $do$
    begin
      if exists (select from pg_roles where rolname = '${READER_ROLE}') then
        execute format('grant select on %I.${relation} to ${READER_ROLE}', current_schema());
      end if;
    exception when insufficient_privilege then
      raise notice 'ridescan: cannot grant ${relation} to ${READER_ROLE} (%)', sqlerrm;
    end
    $do$`);
}

export function readerSetupSql(schema: string, login: string): string {
  const s = quoteIdent(schema);
  return [
    `create role ${READER_ROLE} nologin;`,
    `create role ${QUERY_OWNER_ROLE} nologin in role ${READER_ROLE};`,
    `grant usage on schema ${s} to ${READER_ROLE};`,
    `grant select on ${[...READER_RELATIONS, ...LATER_READER_RELATIONS].map((r) => `${s}.${r}`).join(', ')} to ${READER_ROLE};`,
    `grant create on schema ${s} to ${QUERY_OWNER_ROLE};`,
    `alter function ${s}.${READ_FUNCTION}(text, bigint) owner to ${QUERY_OWNER_ROLE};`,
    `revoke create on schema ${s} from ${QUERY_OWNER_ROLE};`,
    `revoke all on function ${s}.${READ_FUNCTION}(text, bigint) from public;`,
    `grant execute on function ${s}.${READ_FUNCTION}(text, bigint) to ${READER_ROLE};`,
    `grant ${READER_ROLE} to ${quoteIdent(login)};`,
  ].join('\n');
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function ${READ_FUNCTION}(statement text, max_rows bigint) returns setof text
    language plpgsql security definer
    -- the caller's search_path must not pick the objects the function resolves
    set search_path from current
    as $body$${FUNCTION_BODY}$body$`);
  await knex.raw(`revoke all on function ${READ_FUNCTION}(text, bigint) from public`);

  // Roles are cluster-wide: migrations of several schemas may create them at once. The loser of
  // that race gets duplicate_object, or unique_violation on pg_authid's index when both inserts
  // were in flight; either way the role exists and the grants below can go on.
  // insufficient_privilege (no CREATEROLE) skips everything: `query` then names what to run.
  await knex.raw(`
    do $do$
    declare
      schema_name text := current_schema();
    begin
      begin
        create role ${READER_ROLE} nologin;
      exception when duplicate_object or unique_violation then null;
      end;
      begin
        create role ${QUERY_OWNER_ROLE} nologin;
      exception when duplicate_object or unique_violation then null;
      end;
      begin
        grant ${READER_ROLE} to ${QUERY_OWNER_ROLE};
      exception when duplicate_object or unique_violation then null;
      end;
      execute format('grant usage on schema %I to ${READER_ROLE}', schema_name);
      execute format('grant select on ${READER_RELATIONS.map(() => '%I.%I').join(', ')} to ${READER_ROLE}', ${READER_RELATIONS.map((r) => `schema_name, '${r}'`).join(', ')});
      -- ALTER OWNER by a non-superuser needs the new owner to have CREATE on the schema; it is
      -- taken back at once (an owner of objects in the schema could plant look-alike functions).
      execute format('grant create on schema %I to ${QUERY_OWNER_ROLE}', schema_name);
      begin
        grant ${QUERY_OWNER_ROLE} to current_user;
      exception when duplicate_object or unique_violation then null;
      end;
      execute format('alter function %I.${READ_FUNCTION}(text, bigint) owner to ${QUERY_OWNER_ROLE}', schema_name);
      execute format('revoke create on schema %I from ${QUERY_OWNER_ROLE}', schema_name);
      execute format('grant execute on function %I.${READ_FUNCTION}(text, bigint) to ${READER_ROLE}', schema_name);
      begin
        execute format('grant ${READER_ROLE} to %I', current_user);
      exception when duplicate_object or unique_violation then null;
      end;
    exception when insufficient_privilege then
      raise notice 'ridescan: cannot create or grant the ${READER_ROLE} role (%): ridescan query will refuse until a DBA sets it up', sqlerrm;
    end
    $do$`);
}

export async function down(knex: Knex): Promise<void> {
  // The roles stay: other schemas of the cluster may use them.
  await knex.raw(`drop function ${READ_FUNCTION}(text, bigint)`);
  await knex.raw(`
    do $do$
    begin
      execute format('revoke all on ${READER_RELATIONS.map(() => '%I.%I').join(', ')} from ${READER_ROLE}', ${READER_RELATIONS.map((r) => `current_schema(), '${r}'`).join(', ')});
      execute format('revoke usage on schema %I from ${READER_ROLE}', current_schema());
    exception when undefined_object then null;
    end
    $do$`);
}
