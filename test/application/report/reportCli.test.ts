// `ridescan report` as a user runs it: the built CLI (`npx tsc -p .` first) in a subprocess.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';
import { createServerSchema, serverUrl, seedEmbeddedDataDir } from '../../support/databases.js';
import { defaultReportPath } from '../../../src/application/usecases/report.js';

const dir = mkdtempSync(join(tmpdir(), 'ridescan-report-cli-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const targets: { name: string; env: () => Promise<Record<string, string | undefined>> }[] = [
  {
    name: 'pglite',
    env: async () => {
      const home = mkdtempSync(join(dir, 'home-'));
      await seedEmbeddedDataDir(join(home, 'db'));
      return { DATABASE_URL: undefined, RIDESCAN_HOME: home, RIDESCAN_TZ: undefined };
    },
  },
];
if (serverUrl) {
  targets.push({
    name: 'server',
    env: async () => {
      const schema = await createServerSchema();
      cleanups.push(schema.drop);
      return { DATABASE_URL: schema.url, RIDESCAN_HOME: mkdtempSync(join(dir, 'home-')), RIDESCAN_TZ: undefined };
    },
  });
}

describe('ridescan report: usage', () => {
  it('rejects a missing or impossible --date with exit code 2', async () => {
    const env = () => ({ DATABASE_URL: undefined, RIDESCAN_HOME: mkdtempSync(join(dir, 'home-')) });
    const [missing, impossible] = await Promise.all([runCli(['report'], env()), runCli(['report', '--date', '2024-02-30'], env())]);
    expect(missing.stderr).toMatch(/required option '--date/);
    expect(missing.code).toBe(2);
    expect(impossible.stderr).toMatch(/--date.*not a calendar date/);
    expect(impossible.code).toBe(2);
  });

  it('writes to reports/ridescan-report-<date>.html by default', () => {
    expect(defaultReportPath('2024-03-15')).toBe(join('reports', 'ridescan-report-2024-03-15.html'));
  });
});

describe.each(targets)('ridescan report on $name', (target) => {
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    env = await target.env();
    // one process migrates, simulates and scores 2024-03-15
    const demo = await runCli(['demo', '--date', '2024-03-15', '--rides', '1500'], env);
    expect(demo.code).toBe(0);
  });

  it('exits 1 for a day with no rides', async () => {
    const empty = await runCli(['report', '--date', '2024-03-16'], env);
    expect(empty.stderr).toMatch(/service day 2024-03-16 has no rides/);
    expect(empty.code).toBe(1);
    // (a day with rides and no run is refused the same way: report.test.ts)
  });

  it('writes the report of a scored day, creating its folder, and prints its path', async () => {
    const out = join(dir, `${target.name}-nested`, 'folder', 'report.html');
    const written = await runCli(['report', '--date', '2024-03-15', '--out', out], env);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout.trim()).toBe(out);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Ride outliers on Friday, 15 March 2024');
    expect(html).toContain('1,500</span><span class="label">rides scored');
  });
});
