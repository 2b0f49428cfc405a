import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/runCli.js';

// evaluate needs no database: a home that does not exist proves it touches none
const env = { DATABASE_URL: undefined, RIDESCAN_HOME: '/nonexistent/ridescan-evaluate' };

interface Summary {
  rides: number;
  detector: string;
  flagged: number;
  precision: number;
  recall: number;
  f1: number;
  recallByGroup: Record<string, number>;
  eps: number | null;
  minSamples: number | null;
  seconds: number;
}

describe('ridescan evaluate', () => {
  it('prints the detector beside the book recipe, per size', async () => {
    const run = await runCli(['evaluate', '--rides', '400,5000', '--seed', '1,2'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/scenario book/);
    expect(run.stdout).toMatch(/seeds 1, 2/);
    for (const column of ['rides', 'flagged', 'precision', 'recall', 'F1', 'recall long_distance', 'recall high_speed', 'recall low_speed', 'eps', 'seconds']) {
      expect(run.stdout).toContain(column);
    }
    expect(run.stdout).toMatch(/^400 +dbscan /m);
    expect(run.stdout).toMatch(/^400 +book recipe /m);
    expect(run.stdout).toMatch(/^5,000 +dbscan /m);
    expect(run.stdout).toMatch(/^5,000 +book recipe .* 0\.300 +10 /m);
  });

  it('as JSON: the averages and every run, with what each detector resolved', async () => {
    const run = await runCli(['evaluate', '--rides', '3000', '--seed', '1,2,3', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { scenario: string; summary: Summary[]; runs: Array<{ seed: number; detector: string; metrics: { f1: number }; resolved: { dbscan?: { eps: number; minSamples: number } } }> };
    expect(out.scenario).toBe('book');
    expect(out.runs).toHaveLength(6);
    const [mine, book] = out.summary;
    expect(mine.detector).toBe('dbscan');
    expect(book.detector).toBe('book recipe');
    expect(mine.f1).toBeCloseTo(out.runs.filter((r) => r.detector === 'dbscan').reduce((s, r) => s + r.metrics.f1, 0) / 3, 10);
    expect(mine.f1).toBeGreaterThan(book.f1);
    expect(mine.minSamples).toBe(10);
    expect(out.runs.find((r) => r.detector === 'dbscan')!.resolved.dbscan!.eps).toBeGreaterThan(0);
    for (const g of Object.values(mine.recallByGroup)) expect(g).toBeGreaterThan(0);
  });

  it('runs k-means, and the book recipe from explicit flags, on the other scenario', async () => {
    const kmeans = await runCli(['evaluate', '--scenario', 'city', '--rides', '3000', '--algorithm', 'kmeans', '--contamination', '0.1', '--json', '--no-compare'], env);
    expect(kmeans.code).toBe(0);
    const k = JSON.parse(kmeans.stdout) as { summary: Summary[]; runs: Array<{ resolved: { kmeans: { k: number; contamination: number } }; outliersByReason: Record<string, number> }> };
    expect(k.summary).toHaveLength(1);
    expect(k.summary[0].detector).toBe('kmeans');
    expect(k.summary[0].eps).toBeNull();
    expect(k.runs[0].resolved.kmeans).toMatchObject({ k: 2, contamination: 0.1 });
    expect(k.runs[0].outliersByReason.kmeans_distance).toBeGreaterThan(250);

    const explicit = await runCli(['evaluate', '--scenario', 'city', '--rides', '3000', '--eps', '0.3', '--min-samples', '10', '--min-cluster-share', '0', '--json'], env);
    const e = JSON.parse(explicit.stdout) as { summary: Summary[] };
    const [flags, recipe] = e.summary;
    const same = (s: Summary) => ({ ...s, detector: '', seconds: 0, clusterSeconds: 0 });
    expect(same(flags)).toEqual(same(recipe));
  });

  it.each([
    [['evaluate', '--rides', '10'], /--rides.*at least 20/],
    [['evaluate', '--rides', '1000,x'], /--rides/],
    [['evaluate', '--seed', '-1'], /--seed/],
    [['evaluate', '--scenario', 'mars'], /--scenario/],
    [['evaluate', '--algorithm', 'hdbscan'], /--algorithm/],
    [['evaluate', '--eps', '0'], /--eps.*greater than 0/],
    [['evaluate', '--min-samples', '2.5'], /--min-samples.*whole number/],
    [['evaluate', '--contamination', '1'], /--contamination.*\[0, 1\)/],
  ])('rejects %j with exit code 2', async (args, message) => {
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('explains itself', async () => {
    const run = await runCli(['evaluate', '--help'], env);
    expect(run.code).toBe(0);
    for (const flag of ['--scenario', '--rides', '--seed', '--algorithm', '--eps', '--min-samples', '--min-cluster-share', '--contamination', '--max-speed', '--json']) {
      expect(run.stdout).toContain(flag);
    }
  });
});
