import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';
import { createServerSchema, serverUrl, seedEmbeddedDataDir } from '../../support/databases.js';

const homes: string[] = [];
function freshHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ridescan-cli-'));
  homes.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});
/** A home whose embedded database exists but is not migrated, as after a first open (no initdb here). */
async function seededHome(): Promise<string> {
  const home = freshHome();
  await seedEmbeddedDataDir(join(home, 'db'));
  return home;
}
// An environment with no server configured: the embedded database in a fresh home.
const embedded = (home: string) => ({ DATABASE_URL: undefined, RIDESCAN_HOME: home, RIDESCAN_TZ: undefined });

describe('ridescan CLI: help and usage errors', () => {
  it('explains itself with --help, on every command', async () => {
    const top = await runCli(['--help'], embedded(freshHome()));
    expect(top.code).toBe(0);
    for (const word of ['migrate', 'simulate', 'detect', 'DATABASE_URL', 'time-zone', 'Exit codes']) expect(top.stdout).toContain(word);
    const detect = await runCli(['detect', '--help'], embedded(freshHome()));
    expect(detect.code).toBe(0);
    for (const flag of ['--date', '--eps', '--min-samples', '--min-cluster-share', '--algorithm', '(default: "auto")']) expect(detect.stdout).toContain(flag);
    const viaHelp = await runCli(['help', 'detect'], embedded(freshHome()));
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('--min-samples');
  });

  it.each([
    [['detect'], /required option '--date/],
    [['detect', '--date', '2021-02-30'], /not a calendar date/],
    [['detect', '--date', '2021-01-01', '--eps', '-1'], /--eps.*greater than 0/],
    [['detect', '--date', '2021-01-01', '--min-samples', '2.5'], /--min-samples.*whole number/],
    [['detect', '--date', '2021-01-01', '--min-cluster-share', '1'], /--min-cluster-share.*\[0, 1\)/],
    [['simulate', '--date', '2021-01-01', '--rides', 'many'], /--rides/],
    [['frobnicate'], /unknown command/],
    // hostile values that used to pass the flag and fail (or flood) the run
    [['detect', '--date', '2021-01-01', '--eps', '1e-300'], /--eps.*at least 0\.001/],
    [['detect', '--date', '2021-01-01', '--min-samples', '1e9'], /--min-samples.*at most 10,000/],
    [['detect', '--date', '2021-01-01', '--sample-size', '1'], /--sample-size.*at least 1,000/],
    [['simulate', '--date', '2021-01-01', '--rides', '0x10'], /--rides/],
    [['simulate', '--date', '2021-01-01', '--rides', '10', '--seed', '4294967296'], /--seed.*below 2\^32/],
    [['detect', '--date', '0000-01-01'], /before 1900-01-01/],
    [['backfill', '--from', '0001-01-01', '--to', '2021-01-01', '--dry-run'], /--from.*before 1900-01-01/],
    [['backfill', '--from', '1900-01-01', '--to', '9999-12-31', '--dry-run'], /spans 2,958,464 days; at most 3660/],
    [['detect', '--date', '2021-01-01', '--bogus'], /unknown option/],
  ])('rejects %j with exit code 2', async (args, message) => {
    const run = await runCli(args, embedded(freshHome()));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('names a bad setting in the environment (exit 2)', async () => {
    const run = await runCli(['migrate'], { ...embedded(freshHome()), RIDESCAN_TZ: 'Mars/Olympus_Mons' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/RIDESCAN_TZ.*time zone/);
    const url = await runCli(['migrate'], { ...embedded(freshHome()), DATABASE_URL: 'mysql://nope' });
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/DATABASE_URL/);
    // a password with an unescaped '/' or '#': a clear exit 2 naming the setting, not exit 1 or 3
    const malformed = await runCli(['migrate'], { ...embedded(freshHome()), DATABASE_URL: 'postgres://u:pa#ss@host:notaport/db' });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/DATABASE_URL is not a valid URL/);
    for (const [name, value] of [['RIDESCAN_LOG_FORMAT', 'xml'], ['RIDESCAN_LOG_LEVEL', 'loud'], ['RIDESCAN_TENSOR_BACKEND', 'gpu'], ['RIDESCAN_CRON', 'every night']]) {
      const bad = await runCli(['migrate'], { ...embedded(freshHome()), [name]: value });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(name);
    }
  });

  it('exits 3 when the database cannot be reached, naming it without the password', async () => {
    const run = await runCli(['migrate'], { ...embedded(freshHome()), DATABASE_URL: 'postgres://ridescan:secret@127.0.0.1:1/none' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot open the database postgres:\/\/ridescan:\*\*\*@127\.0\.0\.1:1\/none/);
    expect(run.stderr).not.toContain('secret');
  });

  it('exits 3 with what to do when the schema is not migrated', async () => {
    const run = await runCli(['detect', '--date', '2021-01-01'], embedded(await seededHome()));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/ridescan migrate/);
  });
});

const targets: { name: string; env: () => Promise<Record<string, string | undefined>>; cleanup?: () => Promise<void> }[] = [
  { name: 'pglite', env: async () => embedded(await seededHome()) },
];
let dropServerSchema: (() => Promise<void>) | undefined;
if (serverUrl) {
  targets.push({
    name: 'server',
    env: async () => {
      const schema = await createServerSchema();
      dropServerSchema = schema.drop;
      return { DATABASE_URL: schema.url, RIDESCAN_HOME: freshHome() };
    },
  });
}
afterAll(async () => {
  await dropServerSchema?.();
});

describe.each(targets)('ridescan CLI on $name', (target) => {
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    env = await target.env();
  });

  it('migrates, simulates, detects and prints a summary; then says the schema is current', async () => {
    const migrate = await runCli(['migrate'], env);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/^applied\s+001_rides_and_runs/m);

    const simulate = await runCli(['simulate', '--date', '2021-06-01', '--rides', '4000', '--seed', '5'], env);
    expect(simulate.code).toBe(0);
    expect(simulate.stdout).toContain('4000 inserted, 0 already present');
    const again = await runCli(['simulate', '--date', '2021-06-01', '--rides', '4000', '--seed', '5'], env);
    expect(again.stdout).toContain('0 inserted, 4000 already present');

    const detect = await runCli(['detect', '--date', '2021-06-01'], env);
    expect(detect.code).toBe(0);
    expect(detect.stdout).toMatch(/service day 2021-06-01, run #\d+ succeeded/);
    expect(detect.stdout).toMatch(/rides scored\s+4,000/);
    expect(detect.stdout).toMatch(/flags written\s+4,000/);
    expect(detect.stdout).toMatch(/tensor backend\s+(tensorflow|wasm|cpu)/);

    const json = await runCli(['detect', '--date', '2021-06-01', '--json', '--min-cluster-share', '0'], env);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ status: 'succeeded', rides: 4000, params: { eps: 'auto', minSamples: 'auto', minClusterShare: 0 } });
    expect(Object.keys(result.outliersByReason)).not.toContain('small_cluster');

    const remigrate = await runCli(['migrate'], env);
    expect(remigrate.code).toBe(0);
    expect(remigrate.stdout).toMatch(/^already applied\s+001_rides_and_runs/m);
  });
});

describe('npm start (the demo) on a fresh embedded database', () => {
  it('migrates, fills a day, scores it and shows the top outliers', async () => {
    const home = freshHome();
    const run = await runCli(['demo', '--rides', '3000'], embedded(home));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/simulated 3000 rides for 2021-01-01/);
    expect(run.stdout).toMatch(/run #1 succeeded/);
    expect(run.stdout).toMatch(/top outliers by score/);
    expect(run.stdout).toMatch(/noise/);

    // the operations team's view, queried on the embedded database
    const byReason = await runCli(['query', 'select outlier_reason, count(*)::int as n from ride_outliers group by 1', '--json'], embedded(home));
    expect(byReason.code).toBe(0);
    const rows: { outlier_reason: string; n: number }[] = JSON.parse(byReason.stdout);
    const total = await runCli(['query', 'select count(*)::int as n from rides where is_outlier', '--json'], embedded(home));
    expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(JSON.parse(total.stdout)[0].n);
    expect(rows.length).toBeGreaterThan(0);
    // and nothing it types can change the flags
    const write = await runCli(['query', 'update rides set is_outlier = false'], embedded(home));
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/read-only transaction/);
  });
});
