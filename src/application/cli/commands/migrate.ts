// `ridescan migrate`: create or update the schema; --time-zone fixes the service time zone.
import type { Command } from 'commander';
import { TimeZoneName } from '../../config.js';
import { describeTimeZone } from '../format/timeZone.js';
import { ENVIRONMENT_HELP, parseWith, type CommandContext } from '../options.js';

export function register(program: Command, context: CommandContext): void {
  program
    .command('migrate')
    .description('create or update the database schema; safe to run again')
    .option(
      '--time-zone <zone>',
      'IANA zone of service days (a ride belongs to the local date of its pickup there), for a database without rides; ' +
        'unset, a new database is in UTC until its first TLC load sets America/New_York. Later changes: ridescan time-zone',
      parseWith(TimeZoneName),
    )
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { timeZone?: string }) => {
      const { migrate } = await import('../../usecases/migrate.js');
      const { results, database, timeZone, jobQueue } = await migrate(context.config(), { timeZone: options.timeZone });
      for (const r of results) context.io.out(`${r.status.padEnd(15)}  ${r.name}`);
      if (jobQueue.notInstalled) {
        // not an error: detect, backfill and schedule work without the queue; worker and --queue say it is missing
        const { database: name, login } = jobQueue.notInstalled;
        context.io.out(
          `${'not installed'.padEnd(15)}  job queue (pg-boss schema ${jobQueue.schema}): ${login} may not create schemas in database ${name}; ` +
            `ridescan worker and backfill --queue need it. A database administrator runs, once: grant create on database "${name}" to "${login}"; then ridescan migrate again`,
        );
      } else {
        context.io.out(`${(jobQueue.was === 'absent' ? 'applied' : 'current').padEnd(15)}  job queue (pg-boss schema ${jobQueue.schema})`);
      }
      context.io.out(`schema current on ${database}`);
      context.io.out(`service time zone: ${describeTimeZone(timeZone)}`);
    });
}
