// Monitoring, as in the book's chapter on MLOps: each run keeps the day's feature summary and
// whether it drifted from the trailing days, so that a day that looks unlike its neighbours
// stands out in `ridescan runs`, the scheduler's log and the report.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table detection_runs
      add column feature_summary jsonb,
      add column drift jsonb,
      add column drift_warning boolean not null default false`);
  await knex.raw(`comment on column detection_runs.feature_summary is
    'the day''s count, mean and quantiles of distance, duration and speed, and flag rate by reason'`);
  await knex.raw(`comment on column detection_runs.drift is
    'the drift check against the trailing days'' succeeded runs: each metric''s value, median, MAD and robust z'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table detection_runs drop column feature_summary, drop column drift, drop column drift_warning');
}
