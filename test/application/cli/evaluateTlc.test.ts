// `ridescan evaluate --scenario tlc` through the CLI: flag and file errors before a database is made,
// and one run on a cut of the TLC fixture, with the user's database unreachable to prove it is never
// used, and the throwaway database gone afterwards.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';

const HEAD = 'test/fixtures/tlc/yellow_tripdata_2021-01_head.csv';
// a database that cannot be reached and a home that does not exist: touching either fails the run
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/not_yours', RIDESCAN_HOME: '/nonexistent/ridescan-evaluate-tlc' };

const dir = mkdtempSync(join(tmpdir(), 'ridescan-evaluate-tlc-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ridesCsv = join(dir, 'company_rides.csv');
writeFileSync(ridesCsv, 'ride_id,taxi_id,pickup_at,dropoff_at,distance_km\nr1,t1,2021-01-01 08:00:00,2021-01-01 08:12:00,3.2\n');

describe('ridescan evaluate --scenario tlc', () => {
  it.each([
    [['--scenario', 'tlc'], /--scenario tlc needs at least one --file/],
    [['--file', HEAD], /--file is for --scenario tlc/],
    [['--inject-share', '0.02'], /--inject-share is for --scenario tlc/],
    [['--scenario', 'tlc', '--file', HEAD, '--rides', '1000'], /--rides is for the simulated scenarios/],
    [['--scenario', 'tlc', '--file', HEAD, '--seed', '1,2'], /--seed: --scenario tlc takes one seed/],
    [['--scenario', 'tlc', '--file', HEAD, '--inject-share', '0.5'], /--inject-share.*must be at most 0\.1/],
    [['--scenario', 'tlc', '--file', HEAD, '--inject-share', '0'], /--inject-share.*must be greater than 0/],
    [['--scenario', 'tlc', '--file', ridesCsv], /company_rides\.csv: --scenario tlc takes TLC trip files .* this is a rides CSV/],
    [['--scenario', 'tlc', '--file', '/nonexistent/yellow.csv'], /--file \/nonexistent\/yellow.csv: no such file/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const run = await runCli(['evaluate', ...args], env);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('runs a cut of the January 2021 file in a throwaway database, removed afterwards, and prints every figure as JSON', async () => {
    // the header and 3,000 rides: enough for a day's clustering, quick to load
    const lines = readFileSync(HEAD, 'utf8').split('\n');
    const cut = join(dir, 'yellow_cut.csv');
    writeFileSync(cut, `${lines.slice(0, 3001).join('\n')}\n`);
    // the throwaway database goes where os.tmpdir() says (this test file's own process)
    const temp = join(dir, 'tmp');
    mkdirSync(temp);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = temp;
    const created = new Set<string>();
    const watcher = watch(temp, (_, name) => name && created.add(name));
    let run;
    try {
      run = await runCli(['evaluate', '--scenario', 'tlc', '--file', cut, '--seed', '9', '--inject-share', '0.02', '--json'], env);
    } finally {
      watcher.close();
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    expect([...created].some((name) => name.startsWith('ridescan-evaluate-'))).toBe(true);
    expect(readdirSync(temp)).toEqual([]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      scenario: string;
      timeZone: string;
      rides: number;
      files: Array<{ rowsLoaded: number }>;
      injection: { perKind: number; seed: number };
      recall: Array<{ kind: string; injected: number; flagged: number; recall: number }>;
      real: { rides: number; flagged: number; unscored: number };
      targets: Array<{ name: string; holds: boolean }>;
    };
    expect(out.scenario).toBe('tlc');
    expect(out.timeZone).toBe('America/New_York');
    expect(out.rides).toBe(out.files[0].rowsLoaded);
    expect(out.rides).toBeGreaterThan(2_900);
    expect(out.injection).toMatchObject({ perKind: Math.round(out.rides * 0.02), seed: 9 });
    expect(out.recall.map((k) => k.kind)).toEqual(['meter_running', 'odometer_jump', 'long_haul']);
    for (const k of out.recall) {
      expect(k.injected).toBe(out.injection.perKind);
      expect(k.recall).toBe(k.flagged / k.injected);
    }
    expect(out.real.rides).toBe(out.rides - 3 * out.injection.perKind);
    expect(out.real.unscored).toBe(0);
    expect(out.real.flagged).toBeGreaterThan(0);
    expect(out.targets.map((x) => x.name)).toEqual([
      'recall meter_running',
      'recall odometer_jump',
      'recall long_haul',
      'real trips flagged',
      'real airport trips flagged',
      'busiest day / median day',
    ]);
  });
});
