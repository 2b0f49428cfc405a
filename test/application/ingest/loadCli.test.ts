// `ridescan load` as a user or the nightly job runs it: the built CLI in a subprocess, on the
// embedded database and on the server. Not a terminal here: no progress bar, only the summary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';
import { processTargets, type ProcessEnvironment } from '../../support/processEnvironments.js';
import { SAMPLE_LINES, scratchDir, TLC_SAMPLE } from './fixtures.js';

describe.each(processTargets)('ridescan load on $name', (target) => {
  let p: ProcessEnvironment;
  const scratch = scratchDir();
  beforeAll(async () => {
    p = await target.create();
  });
  afterAll(async () => {
    await p?.cleanup();
    scratch.cleanup();
  });

  it('says the schema must be migrated first (exit 3)', async () => {
    const run = await runCli(['load', TLC_SAMPLE], p.env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/ridescan migrate/);
  });

  it('loads the TLC sample and prints its account', async () => {
    expect((await runCli(['migrate'], p.env)).code).toBe(0);
    const run = await runCli(['load', TLC_SAMPLE], p.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('format           tlc-yellow (picked from the CSV header), CSV, 2.1 MB');
    expect(run.stdout).toMatch(/rows read\s+22,793\n\s+loaded\s+22,792\n\s+already present\s+0\n\s+rejected\s+1 \(kept in ride_rejects, load_id 1\)/);
    expect(run.stdout).toMatch(/truncated_line\s+1/);
    expect(run.stdout).toContain(`line ${SAMPLE_LINES.length}: the file ends in the middle of this row`);
    // the first TLC file into a new database sets its service days to New York time
    expect(run.stdout).toMatch(/service days\s+2020-12-31 \(16\), 2021-01-01 \(22,775\), 2021-01-02 \(1\)/);
    expect(run.stdout).toMatch(/America\/New_York/);
  });

  it('goes on past a file it cannot read, and exits 1 (JSON output)', async () => {
    const run = await runCli(['load', `${scratch.dir}/missing.csv`, TLC_SAMPLE, '--json'], p.env);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.failures).toEqual([{ path: `${scratch.dir}/missing.csv`, error: 'no such file' }]);
    expect(out.files).toHaveLength(1);
    expect(out.files[0]).toMatchObject({ format: 'tlc-yellow', account: { rowsRead: 22_793, rowsLoaded: 0, rowsAlreadyPresent: 22_792, rowsRejected: 1 } });
  });

  it('a dry run of several files prints each account and a total, and writes nothing', async () => {
    const fresh = scratch.file('fresh.csv', ['ride_id,taxi_id,pickup_at,dropoff_at,distance_km', 'x-1,T1,2021-04-01 08:00:00,2021-04-01 08:30:00,12', ''].join('\n'));
    const run = await runCli(['load', '--dry-run', fresh, TLC_SAMPLE], p.env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('fresh.csv  (dry run: checked and counted, nothing written)');
    expect(run.stdout).toMatch(/rides-csv \(picked from the CSV header\)/);
    expect(run.stdout).toMatch(/would load\s+1/);
    expect(run.stdout).toContain('total: 2 files loaded; rows read 22,794 = loaded 1 + already present 22,792 + rejected 1');
    const db = await p.open();
    try {
      expect(await db.knex('rides').where({ ride_id: 'x-1' }).first()).toBeUndefined();
      expect(Number((await db.knex('loads').count<{ count: string }[]>('* as count'))[0].count)).toBe(2);
    } finally {
      await db.close();
    }
  });

  it.each([
    [['load'], /missing required argument 'files'/],
    [['load', '--format', 'xlsx', TLC_SAMPLE], /--format <format>' argument 'xlsx' is invalid/],
  ])('rejects %j with exit code 2', async (args, message) => {
    const run = await runCli(args, p.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('explains the formats in --help', async () => {
    const run = await runCli(['load', '--help'], p.env);
    expect(run.code).toBe(0);
    for (const text of ['--format', '--dry-run', 'tlc-yellow', 'tlc-green', 'rides-csv', 'ride_rejects', 'miles']) expect(run.stdout).toContain(text);
  });
});
