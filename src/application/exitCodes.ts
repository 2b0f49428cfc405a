// What ridescan's exit codes mean; README and --help repeat this table.
export const EXIT = {
  ok: 0,
  /** the work itself failed: a run failed (recorded as such), a file could not be loaded */
  failed: 1,
  /** the command line or the configuration is wrong; nothing was done */
  usage: 2,
  /** the database cannot be reached, or its schema is not current (run `ridescan migrate`) */
  database: 3,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'CliError';
  }
}
