// What the commands of the CLI share: flag parsers built from zod schemas (messages name the
// problem, commander names the flag), the DBSCAN flags, and the help text on configuration.
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { IsoDate, type RidescanConfig } from './config.js';

export interface CommandContext {
  /** the configuration, resolved on first use (so that --help works with a broken environment) */
  config(): RidescanConfig;
}

export const ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL    PostgreSQL server to use (postgres://user:pass@host/db); unset = the embedded
                  database (PGlite) in RIDESCAN_HOME/db
  RIDESCAN_HOME   where the embedded database lives (default ./.ridescan)
  RIDESCAN_TZ     time zone of service days: a ride belongs to the local date of its pickup
                  (default UTC)
  RIDESCAN_CRON   when \`ridescan schedule\` runs the nightly job, in RIDESCAN_TZ (default 15 2 * * *)
  RIDESCAN_LOG_FORMAT  json or pretty (default: pretty on a terminal, json otherwise)

Exit codes:
  0  done
  1  the work failed (a failed run is recorded; the previous flags are intact)
  2  usage or configuration error: nothing was done
  3  the database cannot be reached or its schema is not current (run \`ridescan migrate\`)`;

/** A commander argument parser from a zod schema. */
export function parseWith<T>(schema: z.ZodType<T>, coerce: (raw: string) => unknown = (raw) => raw) {
  return (raw: string): T => {
    const parsed = schema.safeParse(coerce(raw));
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return parsed.data;
  };
}

const asNumber = (raw: string) => (raw.trim() === '' ? NaN : Number(raw));

export const parseDate = parseWith(IsoDate);
export const parseCount = parseWith(
  z.number().int('must be a whole number').min(1, 'must be at least 1').max(50_000_000, 'must be at most 50,000,000'),
  asNumber,
);
export const parseSeed = parseWith(z.number().int('must be a whole number').min(0, 'must be 0 or more'), asNumber);
export const parseShareInclusive = parseWith(z.number().min(0, 'must be within [0, 1]').max(1, 'must be within [0, 1]'), asNumber);
