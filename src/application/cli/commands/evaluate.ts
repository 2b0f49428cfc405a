// `ridescan evaluate`: detection quality on simulated labelled days, in memory (no database). Runs the
// chosen detector through detectOutliers, as `detect` does, beside the book's recipe on the same days.
// `--scenario tlc` instead runs real TLC rides with injected anomalies through the whole pipeline, in a
// throwaway embedded database (usecases/evaluateRealRides.ts).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';
import { BOOK_RECIPE } from '../../../compute/detectOutliers.js';
import { evaluateSweep, type EvaluationSummary, type NamedDetector } from '../../../compute/simulation/evaluateDetector.js';
import { SCENARIOS, SCENARIO_DESCRIPTIONS, type ScenarioName } from '../../../compute/simulation/scenarios.js';
import { initTensorBackend } from '../../../compute/tensorBackend.js';
import { loadKmeans } from '../../../compute/kmeans/kmeansOutliers.js';
import { addDetectorOptions, describeDetector, detectorParamsFromFlags } from '../detectorOptions.js';
import { formatTable } from '../format/table.js';
import { asNumber, parseWith, type CommandContext } from '../options.js';
import { logSink } from '../context.js';
import { UsageError } from '../../errors.js';
import type { DetectorParams } from '../../../compute/detectOutliers.js';

/** comma-separated list of values of the schema */
function listOf(schema: z.ZodType<number>, max: number) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((s) => s.trim());
    if (parts.length > max) throw new InvalidArgumentError(`at most ${max} values`);
    return parts.map((part) => {
      const parsed = schema.safeParse(part === '' ? NaN : Number(part.replace(/_/g, '')));
      if (!parsed.success) throw new InvalidArgumentError(`${part || '(empty)'} ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return parsed.data;
    });
  };
}

const RideCount = z.number().int('must be a whole number').min(20, 'must be at least 20').max(5_000_000, 'must be at most 5,000,000');
// each kind gets this share of the rides; three kinds must leave most rides real
const InjectShare = z.number().gt(0, 'must be greater than 0').max(0.1, 'must be at most 0.1 (each of the three kinds; beyond that the anomalies are no longer rare)');
const Seed = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(2 ** 32 - 1, 'must be below 2^32');

/** the simulated scenarios, and tlc: real rides from --file */
const SCENARIO_CHOICES = [...SCENARIOS, 'tlc'] as const;

interface EvaluateOptions {
  scenario: ScenarioName | 'tlc';
  rides: number[];
  seed: number[];
  compare: boolean;
  json?: boolean;
  file?: string[];
  injectShare: number;
  [flag: string]: unknown;
}

export const BOOK_RECIPE_NAME = 'book recipe';

export function register(program: Command, context: CommandContext): void {
  addDetectorOptions(
    program
      .command('evaluate')
      .description(
        'measure detection quality on simulated labelled days (no database): flagged, precision, recall, F1 and recall per ' +
          "anomaly group, for the detector and for the book's recipe on the same days. Rule flags count as flags. " +
          'With --scenario tlc: real TLC rides (--file) with anomalies injected into a seeded share, loaded and scored day by day ' +
          "through the pipeline in a throwaway embedded database (never yours): recall per injected kind, and the share of real rides flagged.",
      )
      .addOption(new Option('--scenario <name>', 'distributions of the simulated days, or tlc: real rides from --file').choices([...SCENARIO_CHOICES]).default('book'))
      .addOption(new Option('--rides <n[,n...]>', 'rides per day; several sizes make a sweep').argParser(listOf(RideCount, 12)).default([10_000], '10000'))
      .addOption(new Option('--seed <s[,s...]>', 'random seeds; metrics are averaged over them (tlc: one seed, of the injection)').argParser(listOf(Seed, 50)).default([1], '1'))
      .addOption(
        new Option('--file <path>', 'tlc: a TLC yellow or green trip file, CSV or Parquet; repeat for several (e.g. consecutive months)').argParser(
          (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
        ),
      )
      .addOption(
        new Option('--inject-share <share>', 'tlc: share of the rides given each injected kind (meter_running, odometer_jump, long_haul)')
          .argParser(parseWith(InjectShare, asNumber))
          .default(0.01),
      )
      .option('--no-compare', "do not run the book's recipe beside the detector (tlc never does)")
      .option('--json', 'print every run and the averages as JSON'),
  ).action(async (options: EvaluateOptions, command: Command) => {
    const params = detectorParamsFromFlags(options);
    const given = (flag: string) => command.getOptionValueSource(flag) === 'cli';
    if (options.scenario === 'tlc') return evaluateTlc(options, params, given, context);
    if (options.file) throw new UsageError('--file is for --scenario tlc (real rides); the simulated scenarios make their own');
    if (given('injectShare')) throw new UsageError('--inject-share is for --scenario tlc');
    const detectors: NamedDetector[] = [{ name: params.algorithm ?? 'dbscan', params }];
    if (options.compare) detectors.push({ name: BOOK_RECIPE_NAME, params: BOOK_RECIPE });
    const backend = await initTensorBackend(context.config().tensorBackend);
    if (detectors.some((d) => d.params.algorithm === 'kmeans')) await loadKmeans();
    const progress = !options.json && context.io.stderrIsTTY;
    let done = 0;
    const total = options.rides.length * options.seed.length;
    const { runs, summary } = evaluateSweep({
      scenario: options.scenario,
      sizes: options.rides,
      seeds: options.seed,
      detectors,
      onDay: () => {
        done++;
        if (progress) process.stderr.write(`\r  ${done}/${total} simulated days scored`);
      },
    });
    if (progress) process.stderr.write('\r\x1b[K');
    if (options.json) {
      context.io.out(JSON.stringify({ scenario: options.scenario, seeds: options.seed, sizes: options.rides, tensorBackend: backend, detectors, summary, runs }, null, 2));
      return;
    }
    context.io.out(formatEvaluation(options.scenario, options.seed, detectors, summary, backend));
  });
}

async function evaluateTlc(options: EvaluateOptions, params: DetectorParams, given: (flag: string) => boolean, context: CommandContext): Promise<void> {
  if (!options.file || options.file.length === 0) throw new UsageError('--scenario tlc needs at least one --file (a TLC trip file)');
  if (given('rides')) throw new UsageError('--rides is for the simulated scenarios; --scenario tlc has the rides of its --file');
  if (options.seed.length !== 1) throw new UsageError('--seed: --scenario tlc takes one seed (each one is a whole load and scoring of the files)');
  const { evaluateRealRides } = await import('../../usecases/evaluateRealRides.js');
  const { formatRealRideEvaluation } = await import('../format/realRideEvaluation.js');
  const { createLogger } = await import('../../logger.js');
  const config = context.config();
  // the pipeline logs each day at info and drift at warn: on a throwaway copy with anomalies put in
  // and sampled days, neither is news; a failure is
  const log = createLogger(config, logSink(context.io, 'err'), { level: 'error' });
  const progress = !options.json && context.io.stderrIsTTY;
  const result = await evaluateRealRides(config, {
    files: options.file,
    injectShare: options.injectShare,
    seed: options.seed[0],
    params,
    log,
    onStage: (message) => {
      if (progress) process.stderr.write(`\r\x1b[K  ${message}`);
    },
    onDay: (p) => {
      if (progress) process.stderr.write(`\r\x1b[K  ${p.daysDone}/${p.daysToScore} days scored (${p.last.day})`);
    },
  });
  if (progress) process.stderr.write('\r\x1b[K');
  const detector = describeDetector(params);
  if (options.json) {
    context.io.out(JSON.stringify({ scenario: 'tlc', detector, params, ...result }, null, 2));
    return;
  }
  context.io.out(formatRealRideEvaluation(result, detector));
}

export function formatEvaluation(
  scenario: ScenarioName,
  seeds: number[],
  detectors: NamedDetector[],
  summary: EvaluationSummary[],
  backend: string,
): string {
  const groups = summary.length > 0 ? Object.keys(summary[0].recallByGroup) : [];
  const lines = [
    `scenario ${scenario}: ${SCENARIO_DESCRIPTIONS[scenario]}`,
    `seeds ${seeds.join(', ')} (metrics are means over the seeds, seconds the median); tensor backend ${backend}`,
    ...detectors.map((d) => `${d.name.padEnd(Math.max(...detectors.map((x) => x.name.length)))}  ${describeDetector(d.params)}`),
    '',
  ];
  const header = ['rides', 'detector', 'flagged', 'precision', 'recall', 'F1', ...groups.map((g) => `recall ${g}`), 'eps', 'min_samples', 'seconds'];
  const rows = summary.map((s) => [
    s.rides.toLocaleString('en-US'),
    s.detector,
    Math.round(s.flagged).toLocaleString('en-US'),
    s.precision.toFixed(3),
    s.recall.toFixed(3),
    s.f1.toFixed(3),
    ...groups.map((g) => s.recallByGroup[g].toFixed(2)),
    s.eps === null ? '' : s.eps.toPrecision(3),
    s.minSamples === null ? '' : String(Math.round(s.minSamples)),
    s.seconds.toFixed(3),
  ]);
  lines.push(formatTable(header, rows));
  return lines.join('\n');
}
