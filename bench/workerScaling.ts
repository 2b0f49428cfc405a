// Worker scaling: how a backfill's wall time falls with the number of `ridescan worker`
// processes (issue 13). The days are seeded once into a schema of their own; for each worker
// count every day is made unscored again, that many workers are started (`ridescan worker
// --concurrency 1`, which runs until SIGTERM), and `ridescan backfill --queue --from --to` is
// timed as a whole process: it enqueues one job per day and exits 0 once all are done. The
// workers are then stopped with SIGTERM. Skipped, saying so, while the build has no `worker`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RidescanConfig } from '../src/application/config.js';
import { simulateDay } from '../src/application/usecases/simulate.js';
import { installJobQueue } from '../src/storage/jobQueue.js';
import { addDays } from '../src/application/serviceDays.js';
import { formatTable } from '../src/application/cli/format/table.js';
import { benchDatabaseUrl, openBenchDatabase } from './benchDatabase.js';
import { CLI, timeRidescan } from './processes.js';

export interface WorkerScalingOptions {
  days: number;
  ridesPerDay: number;
  /** worker process counts to measure, e.g. [1, 2, 4] */
  workers: number[];
  /** first service day of the range */
  from?: string;
}

const SCHEMA = 'ridescan_bench_workers';
/** workers get this long to start and connect before the backfill is timed */
const WORKER_START_MS = 2_000;
/** a worker that has not exited this long after SIGTERM is killed, and the bench says so */
const WORKER_STOP_MS = 30_000;

/** Whether this build has the `worker` command: `ridescan --help` lists it. */
export function hasWorkerCommand(): boolean {
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  return /^\s+worker\b/m.test(help.stdout ?? '');
}

/** The section's text: a table per worker count, or the line saying why it was skipped. */
export async function workerScaling(config: RidescanConfig, options: WorkerScalingOptions): Promise<string> {
  if (!hasWorkerCommand()) return 'worker scaling: skipped (no worker command)';
  if (!config.databaseUrl) return 'worker scaling: skipped (needs DATABASE_URL: the workers share one database)';
  const from = options.from ?? '2032-01-01';
  const to = addDays(from, options.days - 1);
  const env = { ...process.env, DATABASE_URL: benchDatabaseUrl(config, SCHEMA)!, RIDESCAN_LOG_LEVEL: 'warn', RIDESCAN_LOG_FORMAT: 'json' };

  const db = await openBenchDatabase(config, SCHEMA);
  const rows: string[][] = [];
  try {
    // the queue's schema, as `ridescan migrate` installs it
    await installJobQueue(db, benchDatabaseUrl(config, SCHEMA));
    await seedDays(db, from, options.days, options.ridesPerDay);
    let firstSeconds: number | null = null;
    for (const count of options.workers) {
      // every count starts from unscored days: the nightly case after a load
      await db.knex('rides').whereBetween('service_date', [from, to]).update({ is_outlier: null, outlier_reason: null, outlier_score: null, detection_run_id: null });
      await db.knex('detection_runs').whereBetween('service_date', [from, to]).delete();
      await db.knex.raw('vacuum analyze rides');
      const workers = Array.from({ length: count }, () => startWorker(env));
      let seconds: number;
      try {
        await sleep(WORKER_START_MS);
        const exited = workers.filter((w) => w.child.exitCode !== null);
        if (exited.length > 0) throw new Error(`a worker exited at start-up: ${exited[0].stderr().slice(-1000)}`);
        seconds = timeRidescan(['backfill', '--queue', '--from', from, '--to', to], env).seconds;
      } finally {
        const unclean = await stopWorkers(workers);
        if (unclean > 0) process.stderr.write(`  worker scaling: ${unclean} of ${count} worker(s) did not stop within ${WORKER_STOP_MS / 1000} s of SIGTERM and were killed\n`);
      }
      const scored = Number(
        (await db.knex('detection_runs').whereBetween('service_date', [from, to]).where({ status: 'succeeded' }).countDistinct('service_date as n').first())!.n,
      );
      // where a day's time goes as workers are added: the phases each run recorded, averaged
      // (the read and the write wait on the one server; the compute on the machine's cores)
      const phases = (await db.knex.raw(
        `select avg((timings->>'read_s')::float8) as read, avg((timings->>'compute_s')::float8) as compute,
                avg((timings->>'write_s')::float8) as write, avg((timings->>'total_s')::float8) as total
         from detection_runs where service_date between ? and ? and status = 'succeeded'`,
        [from, to],
      )).rows[0] as Record<'read' | 'compute' | 'write' | 'total', number | null>;
      const phase = (v: number | null) => (v == null ? '—' : Number(v).toFixed(2));
      const rides = options.days * options.ridesPerDay;
      firstSeconds ??= seconds; // speed-up is against the first count measured
      rows.push([
        String(count),
        `${scored}/${options.days}`,
        seconds.toFixed(1),
        (options.days / seconds).toFixed(2),
        Math.round(rides / seconds).toLocaleString('en-US'),
        `${(firstSeconds / seconds).toFixed(2)}×`,
        phase(phases.read),
        phase(phases.compute),
        phase(phases.write),
        phase(phases.total),
      ]);
      process.stderr.write(`  worker scaling: ${count} worker(s) done in ${seconds.toFixed(1)} s\n`);
    }
  } finally {
    await db.close();
  }
  return [
    `worker scaling: ${options.days} days × ${options.ridesPerDay.toLocaleString('en-US')} simulated rides, \`ridescan backfill --queue\` timed as a whole process, workers \`ridescan worker --concurrency 1\``,
    formatTable(['workers', 'days scored', 'wall s', 'days/s', 'rides/s', `speed-up vs ${options.workers[0]}`, 'read s/day', 'compute s/day', 'write s/day', 'run s/day'], rows),
  ].join('\n');
}

/** The range's days, seeded unless every one already holds its rides (a re-run of the bench skips this). */
async function seedDays(db: Awaited<ReturnType<typeof openBenchDatabase>>, from: string, days: number, ridesPerDay: number): Promise<void> {
  const to = addDays(from, days - 1);
  const perDay = (await db.knex('rides').whereBetween('service_date', [from, to]).groupBy('service_date').select('service_date').count('* as n')) as { n: string }[];
  if (perDay.length === days && perDay.every((d) => Number(d.n) === ridesPerDay)) return;
  await db.knex('rides').whereBetween('service_date', [from, to]).delete();
  for (let k = 0; k < days; k++) {
    await simulateDay(db, { serviceDate: addDays(from, k), rides: ridesPerDay, seed: 9000 + k, timeZone: 'UTC' });
  }
  process.stderr.write(`  worker scaling: seeded ${days} days × ${ridesPerDay} rides\n`);
}

interface Worker {
  child: ChildProcess;
  stderr(): string;
}

function startWorker(env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, [CLI, 'worker', '--concurrency', '1'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    err = (err + s).slice(-20_000);
  });
  return { child, stderr: () => err };
}

/** SIGTERM to each, then waits; returns how many had to be killed. */
async function stopWorkers(workers: Worker[]): Promise<number> {
  let killed = 0;
  await Promise.all(
    workers.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = sleep(WORKER_STOP_MS, undefined, { ref: false }).then(() => 'timeout' as const);
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
        killed++;
        child.kill('SIGKILL');
        await exited;
      }
    }),
  );
  return killed;
}
