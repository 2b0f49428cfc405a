// `ridescan runs`: the run history.
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ENVIRONMENT_HELP, parseDate, parseWith, type CommandContext } from '../options.js';
import { formatTable } from '../format/table.js';
import type { RunRow } from '../../../storage/runs.js';

const parseLimit = parseWith(z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10,000'), Number);

export function register(program: Command, context: CommandContext): void {
  program
    .command('runs')
    .description('the run history, newest first: every detection run, failed and unfinished ones too')
    .option('--date <YYYY-MM-DD>', 'only the runs of this service day', parseDate)
    .addOption(new Option('--limit <n>', 'at most this many runs').argParser(parseLimit).default(20))
    .option('--json', 'print as JSON (every column of detection_runs)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date?: string; limit: number; json?: boolean }) => {
      const { runHistory } = await import('../../usecases/inspect.js');
      const runs = await runHistory(context.config(), { serviceDate: options.date, limit: options.limit });
      if (options.json) {
        context.io.out(JSON.stringify(runs, null, 2));
        return;
      }
      if (runs.length === 0) {
        context.io.out('no runs yet');
        return;
      }
      context.io.out(
        formatTable(
          ['run', 'day', 'status', 'trigger', 'rides', 'outliers', 'flags written', 'parameters', 'seconds', 'started (UTC)', 'drift', 'note'],
          runs.map((r) => [
            `#${r.id}`,
            r.service_date,
            r.status,
            r.trigger,
            r.rides_scored?.toLocaleString('en-US') ?? '',
            r.outliers?.toLocaleString('en-US') ?? '',
            r.flags_written?.toLocaleString('en-US') ?? '',
            resolvedParameters(r.algorithm, r.parameters),
            r.timings?.total_s !== undefined ? r.timings.total_s.toFixed(2) : '',
            new Date(r.started_at).toISOString().slice(0, 19).replace('T', ' '),
            r.drift_warning ? `DRIFT: ${(r.drift?.drifted ?? []).slice(0, 3).join(', ')}` : (r.drift?.verdict ?? ''),
            runNote(r),
          ]),
        ),
      );
    });
}

/** The error of a failed run; else the flags by reason, after the run whose result it is when it computed nothing. */
function runNote(r: RunRow): string {
  if (r.error) return r.error.split('\n')[0].slice(0, 70);
  const reasons = r.outliers_by_reason ? Object.entries(r.outliers_by_reason).map(([k, v]) => `${k} ${v}`).join(', ') : '';
  return r.reused_run_id !== null && r.reused_run_id !== undefined ? `unchanged: result of #${r.reused_run_id}; ${reasons}` : reasons;
}

/**
 * What the detector decided, as resolved by the run ('auto' eps and min_samples as numbers, the
 * sample size when the day was sampled); a run that did not finish has only what was asked for.
 */
export function resolvedParameters(algorithm: string, parameters: Record<string, unknown> | null): string {
  const p = (parameters ?? {}) as Record<string, unknown> & {
    resolved?: { dbscan?: { eps: number; minSamples: number; clusteredRides: number; sampled: boolean }; kmeans?: { k: number; contamination: number }; validRides?: number } | null;
  };
  const dbscan = p.resolved?.dbscan;
  const kmeans = p.resolved?.kmeans;
  if (dbscan) {
    const sample = dbscan.sampled ? `sample ${dbscan.clusteredRides.toLocaleString('en-US')}` : 'no sample';
    return `${algorithm} eps ${Number(dbscan.eps.toPrecision(3))}${p.eps === 'auto' ? ' (auto)' : ''} min_samples ${dbscan.minSamples}, ${sample}`;
  }
  if (kmeans) return `${algorithm} k ${kmeans.k} contamination ${kmeans.contamination}`;
  const asked = [p.eps !== undefined ? `eps ${String(p.eps)}` : '', p.minSamples !== undefined ? `min_samples ${String(p.minSamples)}` : ''].filter(Boolean).join(' ');
  return `${algorithm}${asked ? ` ${asked}` : ''}`;
}
