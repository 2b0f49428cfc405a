// `ridescan prune --before YYYY-MM-DD [--yes] [--json]`: drops the rides of the service days
// before a day, keeping their run history.
import type { Command } from 'commander';
import { ENVIRONMENT_HELP, parseDate, type CommandContext } from '../options.js';
import type { PruneSummary } from '../../usecases/prune.js';

const int = new Intl.NumberFormat('en-US');
const SHOWN_DAYS = 10;

const ABOUT = `
Each service day's rides are a partition of the rides table: pruning drops the partitions of the
days before --before in one transaction (no row-by-row delete). The run history stays:
detection_runs, loads, ride_rejects and zone_pair_baseline keep their rows, so \`runs\` still lists
the pruned days' runs, \`status\` shows them as pruned, and later days' baselines still count them.
Each prune is recorded in the prunes table (one row per transaction of at most 250 days). A day being scored is not dropped: the prune refuses
and drops nothing. Loading a pruned day's file again brings its rides back, to be scored again.
Without --yes it only says what it would drop.`;

export function register(program: Command, context: CommandContext): void {
  program
    .command('prune')
    .description("drop the rides of the service days before a day (their partitions), keeping the days' run history")
    .requiredOption('--before <YYYY-MM-DD>', 'the first day kept: the days before it lose their rides', parseDate)
    .option('--yes', 'drop them (without it: say what would be dropped, change nothing)')
    .option('--json', 'print as JSON')
    .addHelpText('after', `${ABOUT}\n${ENVIRONMENT_HELP}`)
    .action(async (options: { before: string; yes?: boolean; json?: boolean }) => {
      const { prune } = await import('../../usecases/prune.js');
      const result = await prune(context.config(), options.before, { apply: Boolean(options.yes) });
      if (options.json) context.io.out(JSON.stringify(result, null, 2));
      else context.io.out(formatPrune(result));
    });
}

function formatPrune(result: PruneSummary): string {
  const { days } = result;
  if (days.length === 0) return `nothing to prune: no service day before ${result.before} has rides on ${result.database}`;
  const span = `${days.length} day(s), ${days[0].day} to ${days[days.length - 1].day}`;
  const lines = [
    result.applied
      ? `pruned ${span}: ${int.format(result.rides)} rides dropped (${result.pruneIds.map((id) => `prune #${id}`).join(', ')}); their runs, loads and baselines kept`
      : `would prune ${span}: ${int.format(result.rides)} rides (dry run: nothing changed; run again with --yes)`,
  ];
  for (const d of days.slice(0, SHOWN_DAYS)) lines.push(`  ${d.day}  ${int.format(d.rides)} rides`);
  if (days.length > SHOWN_DAYS) lines.push(`  … ${days.length - SHOWN_DAYS} more (--json lists them all)`);
  return lines.join('\n');
}
