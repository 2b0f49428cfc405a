// A run over a day that has no rides is recorded as such ('no_rides'), not as a succeeded run of
// 0 rides: missing data is what the operations team must hear about first, and a day with no
// rides must not count as scored.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table detection_runs drop constraint if exists detection_runs_status_check`);
  await knex.raw(`alter table detection_runs add constraint detection_runs_status_check
    check (status in ('running', 'succeeded', 'failed', 'no_rides'))`);
  // runs recorded before this migration: a succeeded run that scored no ride found no rides
  await knex.raw(`update detection_runs set status = 'no_rides' where status = 'succeeded' and rides_scored = 0`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update detection_runs set status = 'succeeded' where status = 'no_rides'`);
  await knex.raw(`alter table detection_runs drop constraint if exists detection_runs_status_check`);
  await knex.raw(`alter table detection_runs add constraint detection_runs_status_check check (status in ('running', 'succeeded', 'failed'))`);
}
