import { Option, type Command } from 'commander';
import { ENVIRONMENT_HELP, parseCount, parseDate, type CommandContext } from '../cliOptions.js';
import { runDemo } from '../demo.js';
import { EXIT } from '../exitCodes.js';

export function registerDemo(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('the main job on a fresh machine (npm start): migrate, put a realistic day of rides in, detect, print the summary')
    .addOption(new Option('--date <YYYY-MM-DD>', 'service day of the demo').argParser(parseDate).default('2021-01-01'))
    .addOption(new Option('--rides <n>', 'simulated rides, when the day has none yet').argParser(parseCount).default(20_000))
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async (options: { date: string; rides: number }) => {
      const code = await runDemo(context.config(), options);
      if (code !== EXIT.ok) process.exitCode = code;
    });
}
