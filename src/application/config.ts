// Configuration, resolved once per process (or per in-process `main` call): defaults < environment,
// validated with zod. This is the only module that reads the environment; messages name the
// setting so that a person knows what to change. README's configuration table lists the same.
import { resolve } from 'node:path';
import { z } from 'zod';
import cron from 'node-cron';
import { ConfigError, describeZodIssues } from './errors.js';

/**
 * An IANA time zone name, as Intl knows them, in its canonical spelling (america/new_york and
 * US/Eastern become America/New_York), so that two names of one zone compare equal: the
 * database's zone is compared with RIDESCAN_TZ and with the TLC files' New York.
 */
export const TimeZoneName = z
  .string()
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not an IANA time zone name (for example UTC or America/New_York)' },
  )
  .transform((tz) => new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone);

const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export const TENSOR_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

const EnvironmentSchema = z.object({
  DATABASE_URL: z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'must be a postgres:// or postgresql:// connection string (unset it for the embedded database)' })
      .refine((v) => URL.canParse(v), { message: 'is not a valid URL (check the user, password and host parts; special characters in a password must be %-encoded)' })
      .optional(),
  ),
  RIDESCAN_HOME: z.preprocess(blankAsUnset, z.string().default('./.ridescan')),
  // No longer the service-day zone, which the database holds (issue 11, `ridescan time-zone`):
  // still read, so that a deployment that sets it is told when it disagrees with the database.
  RIDESCAN_TZ: z.preprocess(blankAsUnset, TimeZoneName.optional()),
  RIDESCAN_CRON: z.preprocess(
    blankAsUnset,
    z
      .string()
      .refine((v) => cron.validate(v), { message: "is not a cron expression (for example '15 2 * * *')" })
      .default('15 2 * * *'),
  ),
  RIDESCAN_LOG_FORMAT: z.preprocess(blankAsUnset, z.enum(LOG_FORMATS, { message: 'must be json or pretty' }).optional()),
  RIDESCAN_LOG_LEVEL: z.preprocess(blankAsUnset, z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info')),
  RIDESCAN_TENSOR_BACKEND: z.preprocess(blankAsUnset, z.enum(TENSOR_BACKENDS, { message: `must be one of ${TENSOR_BACKENDS.join(', ')}` }).optional()),
  // A blank value is unset (no alerts), like the others; a value that is set must be a command
  // line /bin/sh can be handed: one line, no NUL (argv cannot carry one).
  RIDESCAN_ALERT_COMMAND: z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .refine((v) => !/[\0\r\n]/.test(v), { message: 'must be one command line (no line breaks or NUL), run with /bin/sh -c; for more, point it at a script' })
      .optional(),
  ),
  // How long a queued day may sit 'active' with no worker holding it before a live worker takes
  // it for a dead one's and retries it (storage/jobQueue.ts): the bound on a SIGKILLed worker's
  // day. Not below a few seconds in production: a worker holds the day within milliseconds of
  // fetching it, and the check must not beat a live but busy worker to it.
  RIDESCAN_WORKER_RECOVERY_SECONDS: z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ message: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 (seconds)')
      .max(3600, 'must be at most 3600 (seconds)')
      .default(30),
  ),
});

export interface RidescanConfig {
  /** PostgreSQL server; undefined = the embedded database in home/db */
  databaseUrl: string | undefined;
  /** where the embedded database lives (RIDESCAN_HOME/db) */
  home: string;
  /**
   * RIDESCAN_TZ, when set: no longer the service-day zone (the database holds it), only checked
   * against it when a command opens the database (openDatabase.ts)
   */
  deprecatedTimeZone: string | undefined;
  /** when the nightly job runs, in the database's service time zone */
  cron: string;
  /** json or pretty; undefined = pretty on a terminal, json otherwise */
  logFormat: (typeof LOG_FORMATS)[number] | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** the TF.js backend to prefer; undefined = tfjs-node if installed, else wasm, else cpu */
  tensorBackend: (typeof TENSOR_BACKENDS)[number] | undefined;
  /** run with /bin/sh -c, one JSON event on stdin, by schedule and backfill; undefined = no alerts */
  alertCommand: string | undefined;
  /** seconds an active queued day may go without a live worker holding it before it is retried */
  workerRecoverySeconds: number;
  /** where one-line notices for the user go (the CLI: standard error); unset = nowhere */
  notice?: (line: string) => void;
}

export function resolveConfig(env: NodeJS.ProcessEnv = process.env): RidescanConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeZodIssues(parsed.error));
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    home: resolve(e.RIDESCAN_HOME),
    deprecatedTimeZone: e.RIDESCAN_TZ,
    cron: e.RIDESCAN_CRON,
    logFormat: e.RIDESCAN_LOG_FORMAT,
    logLevel: e.RIDESCAN_LOG_LEVEL,
    tensorBackend: e.RIDESCAN_TENSOR_BACKEND,
    alertCommand: e.RIDESCAN_ALERT_COMMAND,
    workerRecoverySeconds: e.RIDESCAN_WORKER_RECOVERY_SECONDS,
  };
}

// Flag values, validated at the edge.
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
    message: 'is not a calendar date',
  })
  // PostgreSQL's date type would take year 0 (as 1 BC) and beyond, but no taxi ride is that old:
  // a typo such as 0021 fails here with exit 2 instead of deep in a run.
  .refine((d) => d >= '1900-01-01', { message: 'is before 1900-01-01' });
