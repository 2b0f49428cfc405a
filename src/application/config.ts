// Configuration, resolved once: defaults < environment < command-line flags, validated with zod.
// Messages name the setting so that a person knows what to change.
import { resolve } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not an IANA time zone name (for example UTC or America/New_York)' },
);

const EnvironmentSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined))
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
      message: 'must be a postgres:// or postgresql:// connection string (unset it for the embedded database)',
    }),
  RIDESCAN_HOME: z.string().min(1).default('./.ridescan'),
  RIDESCAN_TZ: timeZone.default('UTC'),
  RIDESCAN_CRON: z.string().min(1).default('15 2 * * *'),
});

export interface RidescanConfig {
  databaseUrl: string | undefined;
  /** where the embedded database lives (RIDESCAN_HOME/db) */
  home: string;
  timeZone: string;
  /** when the nightly job runs, in timeZone */
  cron: string;
}

export function resolveConfig(env: NodeJS.ProcessEnv = process.env): RidescanConfig {
  const parsed = EnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    home: resolve(parsed.data.RIDESCAN_HOME),
    timeZone: parsed.data.RIDESCAN_TZ,
    cron: parsed.data.RIDESCAN_CRON,
  };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'value'} ${issue.message}`).join('; ');
}

// Flag values, validated at the edge. Each parser throws a message that names the flag.
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
    message: 'is not a calendar date',
  });

