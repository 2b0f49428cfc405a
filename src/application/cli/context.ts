// What every command gets from the entry point (cli.ts): the configuration, resolved on first use
// (so that --help works with a broken environment), where to print, how to set the exit code
// without throwing, and the job definitions that only the entry point may import.
import type { Writable } from 'node:stream';
import type { RidescanConfig } from '../config.js';
import type { ExitCode } from '../errors.js';
import type { LogSink } from '../logger.js';
import type { NightlyJob } from '../usecases/schedule.js';

export interface Io {
  /** standard output: results */
  out(text: string): void;
  /** standard error: messages, progress, logs of long commands */
  err(text: string): void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

export interface CommandContext {
  config(): RidescanConfig;
  io: Io;
  /** the exit code the command ends with when it returns normally (default 0) */
  setExitCode(code: ExitCode): void;
  /** the jobs the entry point wires in (jobs/ is imported by no other module of src/) */
  jobs: { nightly(): Promise<NightlyJob> };
}

export function processIo(): Io {
  return streamIo(process.stdout, process.stderr);
}

/**
 * Io on two streams. A reader that goes away (`ridescan query … | head`, a closed terminal) makes the
 * next write fail with EPIPE, which Node raises as an 'error' event: unhandled, it ended the process
 * with a stack trace in the middle of whatever the command was doing, a scoring's write included.
 * Output nobody reads is dropped instead, and the command finishes with its own exit code.
 */
export function streamIo(stdout: NodeJS.WriteStream | Writable, stderr: NodeJS.WriteStream | Writable): Io {
  const writer = (stream: Writable) => {
    let gone = false;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') gone = true;
      else throw error;
    });
    return (text: string) => {
      if (!gone && !stream.destroyed) stream.write(`${text}\n`);
    };
  };
  return {
    out: writer(stdout),
    err: writer(stderr),
    stdoutIsTTY: 'isTTY' in stdout && stdout.isTTY === true,
    stderrIsTTY: 'isTTY' in stderr && stderr.isTTY === true,
  };
}

/** Log lines to standard error (or output), as the logger wants them. */
export function logSink(io: Io, to: 'out' | 'err'): LogSink {
  const write = to === 'out' ? io.out : io.err;
  // pino hands over whole lines with their newline; io adds one
  return { write: (chunk) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk), isTTY: to === 'out' ? io.stdoutIsTTY : io.stderrIsTTY };
}
