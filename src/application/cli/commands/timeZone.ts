// `ridescan time-zone [ZONE] [--yes]`: the database's service time zone, shown or changed.
import type { Command } from 'commander';
import { TimeZoneName } from '../../config.js';
import { describeTimeZone } from '../format/timeZone.js';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../options.js';
import type { ZoneChange } from '../../../storage/settings.js';

const int = new Intl.NumberFormat('en-US');
const SHOWN_MOVES = 10;

const ABOUT = `
A ride's service day is the local date of its pickup in the database's service time zone. A new
database is in UTC until its first load of a TLC file sets America/New_York (TLC times are New
York local time), or until \`migrate --time-zone\` or this command chooses one.

Changing it re-derives every ride's service_date from pickup_at in the new zone, in one
transaction that no load or scoring runs beside. Rides whose day changed lose their flags: their
new days show as stale or never scored in \`status\`, and the nightly catch-up and \`backfill
--only-missing --stale\` score them again. pickup_at itself does not change: a company CSV's local
times (without an offset) were read in the zone the database had when they were loaded, and stay the instants
they became then. Without --yes a change that would move rides only says what it would do.`;

export function register(program: Command, context: CommandContext): void {
  program
    .command('time-zone')
    .description("show the database's service time zone and how it was set, or change it (moving rides to their new service days)")
    .argument('[zone]', 'the IANA zone to change to, e.g. America/New_York', parseWith(TimeZoneName))
    .option('--yes', 'make a change that moves rides (without it: say what would move, change nothing)')
    .option('--json', 'print as JSON')
    .addHelpText('after', `${ABOUT}\n${ENVIRONMENT_HELP}`)
    .action(async (zone: string | undefined, options: { yes?: boolean; json?: boolean }) => {
      const { showTimeZone, changeTimeZone } = await import('../../usecases/timeZone.js');
      const { out, err } = context.io;
      const config = context.config();
      if (zone === undefined) {
        const shown = await showTimeZone(config);
        if (options.json) out(JSON.stringify(shown, null, 2));
        else out(`service time zone: ${describeTimeZone(shown.timeZone)} on ${shown.database}`);
        if (shown.conflictingVariable !== null) {
          err(`ridescan: RIDESCAN_TZ=${shown.conflictingVariable} differs from it, and the other commands refuse to run: unset RIDESCAN_TZ, or ridescan time-zone ${shown.conflictingVariable}`);
        }
        return;
      }
      const change = await changeTimeZone(config, zone, { apply: Boolean(options.yes) });
      if (options.json) out(JSON.stringify(change, null, 2));
      else out(formatChange(change));
    });
}

function formatChange(change: ZoneChange & { database: string }): string {
  const lines: string[] = [];
  const { before, after } = change;
  if (!change.applied) {
    lines.push(`service time zone: ${before.zone}, would become ${after.zone} (dry run: nothing changed; run again with --yes)`);
  } else if (before.zone === after.zone) {
    lines.push(`service time zone: ${describeTimeZone(after)}, as it was`);
  } else {
    lines.push(`service time zone: ${before.zone} -> ${describeTimeZone(after)}`);
  }
  const verb = change.applied ? 'moved' : 'would move';
  lines.push(`rides ${verb}: ${int.format(change.ridesMoved)}${change.ridesMoved > 0 ? ` (flags ${change.applied ? 'cleared' : 'would be cleared'}: their new days show as stale or never scored)` : ''}`);
  if (change.affectedDays.length > 0) {
    const days = change.affectedDays;
    lines.push(`days affected: ${days.length} (${days[0]} to ${days[days.length - 1]})`);
    for (const m of change.moves.slice(0, SHOWN_MOVES)) lines.push(`  ${m.from} -> ${m.to}  ${int.format(m.rides)} rides`);
    if (change.moves.length > SHOWN_MOVES) lines.push(`  … ${change.moves.length - SHOWN_MOVES} more (--json lists them all)`);
    if (change.applied) lines.push(`score them again: ridescan backfill --from ${days[0]} --to ${days[days.length - 1]} --only-missing --stale`);
  }
  return lines.join('\n');
}
