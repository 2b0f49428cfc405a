// A run's result digest (issue 13: a re-run with nothing new writes nothing and computes nothing).
// The digest covers everything the detector read for the day (its rides' features and TLC fields,
// the trailing days' summaries and baselines, the parameters, the detector's code, the TF.js
// backend) and the day's flags as the run left them. A later run that reads the same digest would
// compute the same flags and write none, so it takes the recorded result instead of computing it,
// and says so in reused_run_id. Old runs have no digest: their days are computed once more.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table detection_runs
    add column result_digest text,
    add column reused_run_id bigint references detection_runs (id)`);
  await knex.raw(`comment on column detection_runs.result_digest is
    'SHA-256 of the inputs the detector read for the day and of the day''s flags as this run left them; a later run that reads the same digest reuses this run''s result (reused_run_id)'`);
  await knex.raw(`comment on column detection_runs.reused_run_id is
    'set when this run computed nothing: the day''s rides, flags and the detector''s inputs were unchanged since that run, whose result it recorded again'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table detection_runs drop column reused_run_id, drop column result_digest`);
}
