// A run's recorded drift check (detection_runs.drift, JSON written by any release) read at this
// edge with zod, and put in words by compute/monitoring/driftMessage.ts.
import { z } from 'zod';
import { driftWarnings } from '../../compute/monitoring/driftMessage.js';
import type { RunRow } from '../../storage/runs.js';

const signal = z.object({
  metric: z.string(),
  value: z.number(),
  median: z.number(),
  scale: z.number(),
  robustZ: z.number(),
  drift: z.boolean(),
  feature: z.string().optional(),
  unit: z.enum(['km', 'min', 'km/h', 'share', '']).optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  scaleFrom: z.enum(['mad', 'floor', 'sampling']).optional(),
});
const recorded = z.object({
  drifted: z.array(z.string()),
  trailingDays: z.number(),
  options: z.object({ threshold: z.number() }),
  signals: z.array(signal),
});

/**
 * One sentence per drifted metric of the run's check. A record this release cannot read (or one
 * without signals) still names what drifted, so that a drift warning is never silently dropped.
 */
export function driftWarningsOfRun(run: Pick<RunRow, 'drift' | 'drift_warning'>): string[] {
  if (!run.drift_warning) return [];
  const parsed = recorded.safeParse(run.drift);
  if (parsed.success && parsed.data.signals.some((s) => s.drift)) return driftWarnings(parsed.data);
  const names = Array.isArray((run.drift as { drifted?: unknown } | null)?.drifted) ? (run.drift as { drifted: unknown[] }).drifted.map(String) : [];
  return [`far from the trailing days on ${names.join(', ') || 'some metrics'} (the run recorded no ranges)`];
}
