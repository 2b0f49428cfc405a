// The floors the benchmark's ratios divide by: what psql, PostgreSQL's own client, takes for the
// same data movement, measured in the same run on the same tables (a floor from another day or
// another machine would make every ratio a guess). psql runs with JIT off, as our reads do: the
// floor is the best the server offers, not its default.
import { ISO_DATE } from './benchDatabase.js';
import { timeProcess, type ProcessRun } from './processes.js';

/**
 * The columns `readRidesForDay` copies for a day without TLC rides (src/storage/rides.ts,
 * COPY_DAY_RIDES): kept equal by hand, since the bench must not reach into the storage module's
 * private SQL. Simulated days are such days.
 */
export const DAY_READ_COLUMNS = 'ride_id, distance_km, duration_min, is_outlier, outlier_reason, outlier_score';

export class Psql {
  constructor(
    private readonly url: string,
    private readonly schema: string,
  ) {}

  /** One psql process running the given backslash or SQL commands, in order. */
  run(commands: string[]): ProcessRun {
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.url, ...commands.flatMap((c) => ['-c', c])];
    return timeProcess('psql', args, { ...process.env, PGOPTIONS: `-c search_path=${this.schema} -c jit=off` });
  }

  /** psql's \copy of the day's two features as text to /dev/null: a whole process (start-up and connecting included). */
  featureCopy(day: string): ProcessRun {
    checkDay(day);
    return this.run([`\\copy (select distance_km, duration_min from rides where service_date = '${day}') to '/dev/null'`]);
  }

  /** Seconds psql's \timing gives a binary COPY of the read's columns for the day (in-process, like the read phase it is held against). */
  readCopySeconds(day: string): number {
    checkDay(day);
    const run = this.run(['\\timing on', `\\copy (select ${DAY_READ_COLUMNS} from rides where service_date = '${day}') to '/dev/null' with (format binary)`]);
    return timingSeconds(run.stdout);
  }

  /** A fresh plain table with the TLC file's columns, then psql's \copy of the file into it, in one process. */
  csvCopy(table: string, columns: string, file: string): ProcessRun {
    this.run([`drop table if exists ${table}`, `create table ${table} (${columns})`]);
    checkpoint(this);
    return this.run([`\\copy ${table} from '${file.replaceAll("'", "''")}' with (format csv, header)`]);
  }
}

/** The previous step's dirty pages written out now, not during the next timing (best effort: CHECKPOINT needs a privileged role). */
export function checkpoint(psql: Psql): void {
  try {
    psql.run(['checkpoint']);
  } catch {
    // an unprivileged role: the timings carry that noise
  }
}

function checkDay(day: string): void {
  if (!ISO_DATE.test(day)) throw new Error(`service day must be YYYY-MM-DD, got ${day}`);
}

/** The last "Time: 123.456 ms" psql printed, in seconds. */
export function timingSeconds(stdout: string): number {
  const times = [...stdout.matchAll(/^Time: ([\d.]+) ms/gm)];
  if (times.length === 0) throw new Error(`psql printed no timing: ${stdout.slice(-500)}`);
  return Number(times[times.length - 1][1]) / 1000;
}
