// The database's settings (migration 009): one row. Today it holds the service-day time zone:
// rides.service_date is the local date of pickup_at in it, so it belongs to the data rather than
// to each process's environment. Read once when a command opens the database; the load lock
// (locks.ts) orders every change of it against loads, inserts and other changes.
import type { Knex } from 'knex';
import { TIME_ZONE_SOURCES } from '../../migrations/009_settings.js';
import type { Database } from './database.js';
import { LOCKS, LOCK_SPACES, SPACE_SQL, lockInTransaction } from './locks.js';
import { ensureDayPartitions } from './ridePartitions.js';

export type TimeZoneSource = (typeof TIME_ZONE_SOURCES)[number];

export interface ServiceTimeZone {
  zone: string;
  /** 'default': never chosen (UTC); 'chosen': migrate --time-zone or time-zone; 'first load': the first TLC load */
  source: TimeZoneSource;
  setAt: Date;
}

export interface DatabaseSettings {
  timeZone: ServiceTimeZone;
  /** whether the rides table has any ride, as of the read; undefined when not asked (withRides: false) */
  hasRides?: boolean;
}

// One statement: the settings row and, when asked, whether there is any ride (an index probe, not a count).
// Whether there are rides is asked only by those who need it (load, migrate --time-zone, the zone
// change): it reads `rides`, and a command that only scores must not wait on that table before its
// run is recorded (a day's read blocked by a lock on rides is then a run left 'running', not a
// process that hangs without a trace).
const READ_SETTINGS = `select service_time_zone, time_zone_source, time_zone_set_at from settings`;
const READ_SETTINGS_AND_RIDES = `select service_time_zone, time_zone_source, time_zone_set_at,
    exists (select 1 from rides) as has_rides
  from settings`;

interface SettingsRow {
  service_time_zone: string;
  time_zone_source: TimeZoneSource;
  time_zone_set_at: Date | string;
  has_rides?: boolean;
}

function fromRow(row: SettingsRow): DatabaseSettings {
  return {
    timeZone: { zone: row.service_time_zone, source: row.time_zone_source, setAt: new Date(row.time_zone_set_at) },
    hasRides: row.has_rides,
  };
}

export async function readSettings(db: Database | Knex.Transaction, options: { withRides?: boolean } = {}): Promise<DatabaseSettings> {
  const knex = 'profile' in db ? db.knex : db;
  const rows = (await knex.raw(options.withRides === false ? READ_SETTINGS : READ_SETTINGS_AND_RIDES)).rows as SettingsRow[];
  // migration 009 inserts the row and nothing deletes it; a missing row is a damaged database
  if (rows.length !== 1) throw new Error(`the settings table holds ${rows.length} rows, not 1 (migration 009_settings inserts it)`);
  return fromRow(rows[0]);
}

/** The zone changed between a command's read and its write (another process ran time-zone or a load). */
export class ServiceTimeZoneChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceTimeZoneChangedError';
  }
}

/** The database already has rides in another zone: setting the zone would need them moved. */
export class RidesInOtherZoneError extends Error {
  constructor(readonly current: string, readonly wanted: string) {
    super(`the database has rides whose service days are in ${current}`);
    this.name = 'RidesInOtherZoneError';
  }
}

/**
 * Fixes the zone of a database that has no rides yet (migrate --time-zone). With rides in another
 * zone it refuses (RidesInOtherZoneError): moving them is changeServiceTimeZone's work.
 * The same zone is left as it is, rides or not (running migrate --time-zone again is harmless).
 */
export async function chooseServiceTimeZone(db: Database, zone: string): Promise<DatabaseSettings> {
  return db.knex.transaction(async (trx) => {
    await lockInTransaction(trx, LOCKS.loads());
    const current = await readSettings(trx);
    if (current.timeZone.zone === zone) {
      // an explicit choice of the zone the database has (by default or from its first load)
      if (current.timeZone.source !== 'chosen') await setZone(trx, zone, 'chosen');
      return readSettings(trx);
    }
    if (current.hasRides) throw new RidesInOtherZoneError(current.timeZone.zone, zone);
    await setZone(trx, zone, 'chosen');
    return readSettings(trx);
  });
}

/** PostgreSQL does not know the zone that Intl took (their zone databases differ in a few names). */
export class UnknownTimeZoneError extends Error {
  constructor(readonly zone: string) {
    super(`PostgreSQL does not know the time zone ${zone}`);
    this.name = 'UnknownTimeZoneError';
  }
}

async function setZone(trx: Knex.Transaction, zone: string, source: TimeZoneSource): Promise<void> {
  await assertKnownZone(trx, zone);
  await trx('settings').update({ service_time_zone: zone, time_zone_source: source, time_zone_set_at: trx.raw('now()') });
}

/**
 * Called by a file load inside its transaction, under the load lock, before any ride is written:
 * the rows were converted in `zone` (read when the command opened the database), so the database
 * must still be in it. With `claim`, the load is the first and sets the zone ('first load'): only
 * while the zone was never chosen and there are no rides.
 */
export async function confirmServiceTimeZone(trx: Knex.Transaction, zone: string, claim: boolean): Promise<void> {
  const current = await readSettings(trx);
  if (claim) {
    if (current.timeZone.source !== 'default' || current.hasRides) {
      throw new ServiceTimeZoneChangedError(
        `another process loaded rides or set the service time zone (now ${current.timeZone.zone}, ${current.timeZone.source}) since this command started; run it again`,
      );
    }
    await setZone(trx, zone, 'first load');
    return;
  }
  if (current.timeZone.zone !== zone) {
    throw new ServiceTimeZoneChangedError(
      `the service time zone changed from ${zone} to ${current.timeZone.zone} since this command started (ridescan time-zone); run it again`,
    );
  }
}

export interface ZoneMove {
  /** service day before and after */
  from: string;
  to: string;
  rides: number;
}

export interface ZoneChange {
  before: ServiceTimeZone;
  after: ServiceTimeZone;
  /** false for a dry run: nothing was written */
  applied: boolean;
  ridesMoved: number;
  /** rides moved, by (old day, new day), in date order */
  moves: ZoneMove[];
  /** every day that lost or gained rides, in date order */
  affectedDays: string[];
}

/** Converting with a zone PostgreSQL lacks fails; asked first, inside a savepoint, to say so plainly. */
async function assertKnownZone(trx: Knex.Transaction, zone: string): Promise<void> {
  try {
    await trx.transaction((sp) => sp.raw('select now() at time zone ?', [zone]));
  } catch (error) {
    if ((error as { code?: string }).code === '22023') throw new UnknownTimeZoneError(zone);
    throw error;
  }
}

// Which rides change day in the new zone, grouped by old and new day. Bindings: the zone, twice.
const MOVES = `select to_char(service_date, 'YYYY-MM-DD') as from_day,
    to_char((pickup_at at time zone ?)::date, 'YYYY-MM-DD') as to_day, count(*) as rides
  from rides
  where service_date <> (pickup_at at time zone ?)::date
  group by 1, 2 order by 1, 2`;

// Of the days given, those whose scoring holds its lock right now (LOCKS.scoreDay, taken per run
// as a session lock). Taken here as transaction locks on the same keys: a scorer that starts
// while this transaction runs finds its day locked and skips it. Bindings: the days, the space.
const SCORING_NOW = `select to_char(d, 'YYYY-MM-DD') as day
  from unnest(?::date[]) d
  where not pg_try_advisory_xact_lock(${SPACE_SQL}, (d - date '1970-01-01')::int4)`;

// A moved ride's flags were computed with the rides of its old day: cleared, so that its new day
// shows unscored rides (stale or never scored) and the nightly catch-up and backfill score it.
// Binding: the zone, twice.
const MOVE_RIDES = `update rides
  set service_date = (pickup_at at time zone ?)::date,
      is_outlier = null, outlier_reason = null, outlier_score = null, detection_run_id = null
  where service_date <> (pickup_at at time zone ?)::date`;

// What was derived from the old days goes with them: each load's list of days (which tells the
// scoring read which days carry TLC columns) is derived again from its rides, and the zone-pair
// baseline rows of the affected days are dropped (their runs' next scoring writes them again).
// Bindings: the affected days.
const REDERIVE_LOAD_DAYS = `update loads l
  set service_days = coalesce((select array_agg(distinct r.service_date order by r.service_date) from rides r where r.load_id = l.id), '{}')
  where l.service_days && ?::date[]`;
const DROP_BASELINE_DAYS = `delete from zone_pair_baseline where service_date = any (?::date[])`;

/** Scoring of these days is running in another process: the change would race with its write. */
export class ScoringInProgressError extends Error {
  constructor(readonly days: string[]) {
    super(`scoring of ${days.slice(0, 5).join(', ')}${days.length > 5 ? ` and ${days.length - 5} more day(s)` : ''} is in progress`);
    this.name = 'ScoringInProgressError';
  }
}

/**
 * Takes the scoring locks of these days (ISO dates) for the rest of the transaction, so that no
 * scoring of them starts meanwhile; ScoringInProgressError when any is being scored now.
 */
export async function lockScoringOf(trx: Knex.Transaction, days: string[]): Promise<void> {
  const busy = ((await trx.raw(SCORING_NOW, [`{${days.join(',')}}`, LOCK_SPACES.scoreDay])).rows as { day: string }[]).map((r) => r.day);
  if (busy.length > 0) throw new ScoringInProgressError(busy);
}

/**
 * Sets the service time zone and re-derives every ride's service_date from pickup_at in it, in
 * one transaction under the load lock (no load or simulated insert runs meanwhile) and the
 * scoring locks of every affected day (a day being scored makes it refuse). A change that moves
 * no ride is always made; one that moves rides only with `moveRides`, else it is counted and
 * nothing is written (applied: false).
 */
export async function changeServiceTimeZone(db: Database, zone: string, options: { moveRides: boolean }): Promise<ZoneChange> {
  return db.knex.transaction(async (trx) => {
    await lockInTransaction(trx, LOCKS.loads());
    const before = (await readSettings(trx)).timeZone;
    await assertKnownZone(trx, zone);
    const moves = ((await trx.raw(MOVES, [zone, zone])).rows as { from_day: string; to_day: string; rides: string | number }[]).map((r) => ({
      from: r.from_day,
      to: r.to_day,
      rides: Number(r.rides),
    }));
    const affectedDays = [...new Set(moves.flatMap((m) => [m.from, m.to]))].sort();
    const ridesMoved = moves.reduce((n, m) => n + m.rides, 0);
    if (ridesMoved > 0 && !options.moveRides) {
      return { before, after: { zone, source: 'chosen' as const, setAt: new Date() }, applied: false, ridesMoved, moves, affectedDays };
    }
    if (affectedDays.length > 0) {
      await lockScoringOf(trx, affectedDays);
      // a ride that changes day moves to that day's partition (PostgreSQL moves the row): the
      // days it moves to need theirs first
      await ensureDayPartitions(trx, moves.map((m) => m.to));
      const moved = (await trx.raw(MOVE_RIDES, [zone, zone])).rowCount as number;
      // the load lock keeps rides from arriving, so the count cannot differ; if it does, roll back
      if (moved !== ridesMoved) throw new Error(`expected to move ${ridesMoved} rides, moved ${moved}`);
      const days = `{${affectedDays.join(',')}}`;
      await trx.raw(REDERIVE_LOAD_DAYS, [days]);
      await trx.raw(DROP_BASELINE_DAYS, [days]);
    }
    await setZone(trx, zone, 'chosen');
    const after = (await readSettings(trx)).timeZone;
    return { before, after, applied: true, ridesMoved, moves, affectedDays };
  });
}
