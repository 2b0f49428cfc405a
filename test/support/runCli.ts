// The CLI in tests. `runCli` calls `main(argv)` in this process, with its own environment and
// captured output: the same parsing, use cases and exit codes as the program, without a process
// start (TF.js, PGlite) per call, which made the subprocess suites 86% of the test time. The
// subprocess forms (`runCliProcess`, `startCli`) are for what needs a process: exit codes as the
// shell sees them, signals, SIGKILL.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/application/cli.js';

export const CLI = fileURLToPath(new URL('../../dist/src/application/cli.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI and returns the child, for tests that signal or kill it mid-run. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  child.stderr!.on('data', (d) => (output.stderr += d));
  const exited = new Promise<CliRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...output })));
  /** resolves once stdout contains the text */
  const waitFor = (text: string, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (output.stdout.includes(text)) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`never saw ${text}; stdout: ${output.stdout}; stderr: ${output.stderr}`));
        }
      }, 50);
    });
  return { child, output, exited, waitFor };
}

export function runCliProcess(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<CliRun> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The CLI in this process: `main` with the given environment over this one's, output captured. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'ridescan', ...args], {
    env: merged,
    io: {
      out: (text) => void (stdout += `${text}\n`),
      err: (text) => void (stderr += `${text}\n`),
      stdoutIsTTY: false,
      stderrIsTTY: false,
    },
  });
  return { code, signal: null, stdout, stderr };
}
