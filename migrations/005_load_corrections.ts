// A ride re-sent with its id and different content is a correction (that is how the company
// sends them): the load updates the ride and clears its flag, and the account counts it in a
// column of its own, so that read = loaded + already present + corrected + rejected still holds
// by construction.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table loads add column rows_corrected bigint not null default 0`);
  await knex.raw(`alter table loads drop constraint loads_check`);
  await knex.raw(`alter table loads add constraint loads_check
    check (rows_read = rows_loaded + rows_already_present + rows_corrected + rows_rejected)`);
  await knex.raw(`comment on column loads.rows_corrected is
    'rows whose ride_id was already in rides from an earlier file, with different content: the ride was updated and its flag cleared'`);
  await knex.raw(`comment on column loads.rows_already_present is
    'rows whose ride_id was already in rides with the same content, or came earlier in the same file'`);
  await knex.raw(`comment on column loads.stale_days is
    'service days already scored by a succeeded detection run that received new or corrected, unscored rides from this file'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table loads drop constraint loads_check`);
  // before corrections, a re-sent id was counted already present
  await knex.raw(`update loads set rows_already_present = rows_already_present + rows_corrected where rows_corrected > 0`);
  await knex.raw(`alter table loads drop column rows_corrected`);
  await knex.raw(`alter table loads add constraint loads_check
    check (rows_read = rows_loaded + rows_already_present + rows_rejected)`);
  await knex.raw(`comment on column loads.rows_already_present is
    'rows whose ride_id was already in rides, or came earlier in the same file'`);
  await knex.raw(`comment on column loads.stale_days is
    'service days already scored by a succeeded detection run that received new, unscored rides from this file'`);
}
