// ridescan's exit codes and the one place that maps an error to one. README and --help repeat the
// table. Errors of the lower layers (storage, ingest) stay plain classes of their own, so that
// those layers know nothing of processes; exitCodeOf says what each means for the command line.
import { DatabaseUnavailableError } from '../storage/database.js';

export const EXIT = {
  ok: 0,
  /** the work itself failed: a run failed (recorded as such), a file could not be loaded */
  failed: 1,
  /** the command line or the configuration is wrong; nothing was done */
  usage: 2,
  /** the database cannot be reached, or its schema is not current (run `ridescan migrate`) */
  database: 3,
  /**
   * `backfill --queue` on a server with no `ridescan worker` running: nothing was queued. A code
   * of its own, so that a script can start workers (or fall back to a plain backfill) on it
   * rather than treat it as a broken database.
   */
  noWorker: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose message is for the user as it is, with the exit code it ends the command with. */
export class RidescanError extends Error {
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
    this.name = 'RidescanError';
  }
}

/** The command line or the configuration is wrong (exit 2). Messages name the flag or setting. */
export class UsageError extends RidescanError {
  constructor(message: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/** A setting of the environment is wrong (exit 2): the message names the variable. */
export class ConfigError extends RidescanError {
  constructor(message: string) {
    super(`configuration error: ${message}`, EXIT.usage);
    this.name = 'ConfigError';
  }
}

/** The database cannot be used: unreachable, busy, or its schema not current (exit 3). */
export class DatabaseError extends RidescanError {
  constructor(message: string) {
    super(message, EXIT.database);
    this.name = 'DatabaseError';
  }
}

/** `backfill --queue` on a server where no `ridescan worker` runs (exit 4): nothing was queued. */
export class NoWorkerError extends RidescanError {
  constructor(message: string) {
    super(message, EXIT.noWorker);
    this.name = 'NoWorkerError';
  }
}

/** The work failed (exit 1): a run, a load, a query, a report. */
export class WorkFailedError extends RidescanError {
  constructor(message: string) {
    super(message, EXIT.failed);
    this.name = 'WorkFailedError';
  }
}

/**
 * The exit code of an error, and whether its message is meant for the user as it is (known
 * errors) or is a bug whose stack a developer needs.
 */
export function exitCodeOf(error: unknown): { code: ExitCode; message: string; known: boolean } {
  if (error instanceof RidescanError) return { code: error.exitCode, message: error.message, known: true };
  if (error instanceof DatabaseUnavailableError) return { code: EXIT.database, message: error.message, known: true };
  const name = (error as { name?: string } | null)?.name;
  // told by name so that the entry point does not load zod for --version
  if (name === 'ZodError') return { code: EXIT.usage, message: describeZodIssues(error as ZodLike), known: true };
  if (isDiskFull(error)) {
    return {
      code: EXIT.failed,
      message: `the disk is full (${(error as Error).message.split('\n')[0]}): nothing of this command was kept; free space where the database lives and run it again`,
      known: true,
    };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: EXIT.failed, message, known: false };
}

interface ZodLike {
  issues: { path: PropertyKey[]; message: string }[];
}

export function describeZodIssues(error: ZodLike): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || 'value'} ${issue.message}`).join('; ');
}

/** ENOSPC from the file system (PGlite writes its files itself), or PostgreSQL's disk_full. */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === '53100') return true;
  return error instanceof Error && /no space left on device|could not extend file/i.test(error.message);
}

/** An error's message for a log line or a result: an Error's message, else the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
