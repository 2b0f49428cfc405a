// `npm run bench:backfill -- [--days 365] [--rides 20000] [--concurrency 1,2]`: seeds a year of
// simulated service days into the database DATABASE_URL names, then backfills them through the
// same code as `ridescan backfill` and prints days/s and rides/s for each concurrency.
import { Command, Option } from 'commander';
import { resolveConfig } from '../src/application/config.js';
import { openBenchDatabase } from './benchDatabase.js';
import { simulateDay } from '../src/application/usecases/simulate.js';
import { planBackfill, runBackfill } from '../src/application/usecases/backfill.js';
import { createLogger } from '../src/application/logger.js';
import { DEFAULT_DETECTOR } from '../src/compute/detectOutliers.js';
import { parseCount } from '../src/application/cli/options.js';
import { addDays } from '../src/application/serviceDays.js';
import { formatTable } from '../src/application/cli/format/table.js';

const options = new Command('bench-backfill')
  .addOption(new Option('--days <n>', 'service days').argParser(parseCount).default(365))
  .addOption(new Option('--rides <n>', 'rides per day').argParser(parseCount).default(20_000))
  .option('--concurrency <list>', 'comma-separated concurrencies to measure', '1,2')
  .parse()
  .opts<{ days: number; rides: number; concurrency: string }>();

const config = resolveConfig();
const db = await openBenchDatabase(config, 'ridescan_bench_backfill');
const from = '2031-01-01';
const to = addDays(from, options.days - 1);
console.log(`ridescan backfill bench: ${options.days} days × ${options.rides.toLocaleString('en-US')} rides, ${db.describe}`);

let t = performance.now();
const existing = Number((await db.knex('rides').whereBetween('service_date', [from, to]).count('* as n').first())!.n);
if (existing !== options.days * options.rides) {
  await db.knex('rides').whereBetween('service_date', [from, to]).delete();
  for (let k = 0; k < options.days; k++) {
    await simulateDay(db, { serviceDate: addDays(from, k), rides: options.rides, seed: 7000 + k, timeZone: 'UTC' });
    if (k % 30 === 29) process.stderr.write(`  seeded ${k + 1}/${options.days} days\n`);
  }
}
console.log(`seeding: ${((performance.now() - t) / 1000).toFixed(1)} s${existing === options.days * options.rides ? ' (already there)' : ''}`);
if (config.databaseUrl) await db.knex.raw('vacuum analyze rides');

const log = createLogger({ logFormat: 'json', logLevel: 'warn' }, { write: (s) => process.stderr.write(s), isTTY: false });
const rows: string[][] = [];
for (const concurrency of options.concurrency.split(',').map(Number)) {
  // every repetition starts from unscored days: the nightly case
  await db.knex('rides').whereBetween('service_date', [from, to]).update({ is_outlier: null, outlier_reason: null, outlier_score: null, detection_run_id: null });
  await db.knex('detection_runs').whereBetween('service_date', [from, to]).delete();
  if (config.databaseUrl) await db.knex.raw('vacuum analyze rides');
  const plan = await planBackfill(db, { from, to, onlyMissing: false, stale: false });
  t = performance.now();
  const outcomes = await runBackfill(db, plan, { params: { ...DEFAULT_DETECTOR }, concurrency, onlyIfNeeded: false, log });
  const seconds = (performance.now() - t) / 1000;
  const succeeded = outcomes.filter((o) => o.status === 'succeeded').length;
  const rides = outcomes.reduce((sum, o) => sum + (o.status === 'succeeded' ? o.run.rides : 0), 0);
  rows.push([String(concurrency), `${succeeded}/${outcomes.length}`, seconds.toFixed(1), (succeeded / seconds).toFixed(2), Math.round(rides / seconds).toLocaleString('en-US')]);
}
await db.close();
console.log('');
console.log(formatTable(['concurrency', 'days scored', 'seconds', 'days/s', 'rides/s'], rows));
