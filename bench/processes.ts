// Whole processes, timed from the outside: the wall time a person waits for (start-up, module
// loading and connecting included) and the peak RSS, which only the kernel knows for a child
// (GNU time's %M, from wait4's rusage; absent, the RSS is not reported rather than guessed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GNU_TIME = '/usr/bin/time';

/** the CLI as `npm run ridescan` runs it, from this build */
export const CLI = fileURLToPath(new URL('../src/application/cli.js', import.meta.url));

export interface ProcessRun {
  seconds: number;
  /** null when GNU time is not installed */
  peakRssMb: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit throws, with what the command printed. */
export function timeProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ProcessRun {
  const withTime = existsSync(GNU_TIME);
  const dir = withTime ? mkdtempSync(join(tmpdir(), 'ridescan-bench-time-')) : '';
  const rssFile = join(dir, 'rss');
  try {
    const [file, argv] = withTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
    const started = performance.now();
    const child = spawnSync(file, argv, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - started) / 1000;
    if (child.error) throw child.error;
    if (child.status !== 0) {
      throw new Error(`${[command, ...args].join(' ')} exited with ${child.status ?? child.signal}: ${child.stderr.trim().slice(-2000)}`);
    }
    const kb = withTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
    return { seconds, peakRssMb: Number.isFinite(kb) ? kb / 1024 : null, stdout: child.stdout, stderr: child.stderr };
  } finally {
    if (withTime) rmSync(dir, { recursive: true, force: true });
  }
}

/** `ridescan …` from this build, as a whole process. */
export function timeRidescan(args: string[], env: NodeJS.ProcessEnv): ProcessRun {
  return timeProcess(process.execPath, [CLI, ...args], env);
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
