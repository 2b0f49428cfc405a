// `ridescan time-zone`: the database's service time zone, shown or changed. A change re-derives
// every ride's service_date from pickup_at (an instant) in the new zone and clears the flags of
// the rides whose day changed (storage/settings.ts changeServiceTimeZone, one transaction).
import { changeServiceTimeZone, ScoringInProgressError, UnknownTimeZoneError, type ServiceTimeZone, type ZoneChange } from '../../storage/settings.js';
import type { RidescanConfig } from '../config.js';
import { ConfigError, UsageError, WorkFailedError } from '../errors.js';
import { withDatabase } from '../openDatabase.js';

export interface TimeZoneShown {
  database: string;
  timeZone: ServiceTimeZone;
  /** RIDESCAN_TZ when set to another zone: what the other commands refuse on */
  conflictingVariable: string | null;
}

/** The zone and how it was set. Works whatever RIDESCAN_TZ says: this is where a conflict is resolved. */
export async function showTimeZone(config: RidescanConfig): Promise<TimeZoneShown> {
  return withDatabase(config, { requireSchema: true, ownTimeZoneCheck: true }, async (db, settings) => ({
    database: db.describe,
    timeZone: settings.timeZone,
    conflictingVariable: config.deprecatedTimeZone !== undefined && config.deprecatedTimeZone !== settings.timeZone.zone ? config.deprecatedTimeZone : null,
  }));
}

/**
 * Changes the zone. Without `apply` only a change that moves no ride is made; one that moves
 * rides is counted and reported, nothing written (the caller asks for --yes).
 */
export async function changeTimeZone(config: RidescanConfig, zone: string, options: { apply: boolean }): Promise<ZoneChange & { database: string }> {
  const legacy = config.deprecatedTimeZone;
  if (legacy !== undefined && legacy !== zone) {
    throw new ConfigError(`RIDESCAN_TZ=${legacy} contradicts the zone asked for (${zone}); RIDESCAN_TZ no longer sets the service time zone: unset it`);
  }
  return withDatabase(config, { requireSchema: true, ownTimeZoneCheck: true }, async (db) => {
    try {
      // a change that moves no ride loses nothing: it is made without --yes
      const change = await changeServiceTimeZone(db, zone, { moveRides: options.apply });
      if (change.applied && legacy !== undefined) config.notice?.(`RIDESCAN_TZ is deprecated and ignored: the database now holds the service time zone (${zone}); unset it`);
      return { ...change, database: db.describe };
    } catch (error) {
      if (error instanceof UnknownTimeZoneError) throw new UsageError(`ZONE: ${error.message}`);
      if (error instanceof ScoringInProgressError) throw new WorkFailedError(`${error.message}: nothing was changed; run it again when the scoring has ended (or stop the scheduler first)`);
      throw error;
    }
  });
}
