// The loading thread's side of the file reader's worker (parseWorker.ts): whether a file is read
// there, starting it, and its batches as the loader's input, at most a few ahead of the loader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedBatch, RowEncoding } from '../../storage/rideLoads.js';
import { transferOf } from '../../storage/rideRows.js';
import type { RideFile } from './inspectFile.js';
import type { ParseCredit, ParseJob, ParseMessage } from './parseWorker.js';
import type { ProgressListener } from './rideBatches.js';
import { UnreadableFileError } from './unreadableFileError.js';

/**
 * Where the file's rows are parsed: 'auto' takes the worker for a CSV file of at least
 * WORKER_MIN_BYTES when its compiled script is there, else this thread (Parquet always: its
 * reader decodes column pages, not lines).
 */
export interface ReaderChoice {
  thread: 'auto' | 'main' | 'worker';
  /** the worker's script (default: parseWorker.js beside this module; tests name the built one) */
  workerScript?: URL;
  /** bytes per read of the file (tests make it small, to cut records across reads) */
  readBytes?: number;
}

/**
 * Below this a file is parsed on the loading thread. Starting the worker (a thread and its
 * modules) takes about 0.2 s, and the worker gains only by running beside the COPYs, from the
 * second batch of 25,000 rows on: loads of 50,000 and 100,000 TLC rows (4.6 and 9 MB) were slower
 * on the worker, 200,000 rows (18 MB) about even, 400,000 rows faster (docs/performance.md, "the
 * reader on a thread of its own"). The 22,000-row test fixture (2 MB) stays on the loading thread.
 */
export const WORKER_MIN_BYTES = 16_000_000;

/** Batches a worker may have posted that the loader has not taken: with the 2 writes the loader
 * keeps waiting, about 5 batches of ~6 MB each are in memory at most. */
const AHEAD = 2;

const DEFAULT_SCRIPT = new URL('./parseWorker.js', import.meta.url);

/** The worker's script when the file is read on a worker thread, else null. */
export function workerScriptFor(file: RideFile, choice: ReaderChoice = { thread: 'auto' }): URL | null {
  if (choice.thread === 'main' || file.container === 'parquet') return null;
  const script = choice.workerScript ?? DEFAULT_SCRIPT;
  if (choice.thread === 'worker') return script;
  // Run from the TypeScript sources (the test runner) there is no compiled worker beside this
  // module, and a worker thread cannot load TypeScript: parse here.
  return file.bytes >= WORKER_MIN_BYTES && existsSync(fileURLToPath(script)) ? script : null;
}

/** The file's rows as the loader's input, parsed and encoded on a worker thread. */
export function workerBatches(
  script: URL,
  file: RideFile,
  zones: { source: string; service: string },
  onProgress: ProgressListener,
  reading: Pick<ReaderChoice, 'readBytes'> = {},
): (encoding: RowEncoding) => AsyncIterable<EncodedBatch> {
  return (encoding) => {
    const job: ParseJob = {
      file: { path: file.path, name: file.name, bytes: file.bytes, container: file.container, layout: file.layout },
      sourceTimeZone: zones.source,
      serviceTimeZone: zones.service,
      encoding,
      readBytes: reading.readBytes,
      ahead: AHEAD,
    };
    return fromWorker(new Worker(script, { workerData: { parseJob: job } }), onProgress);
  };
}

async function* fromWorker(worker: Worker, onProgress: ProgressListener): AsyncGenerator<EncodedBatch> {
  const queue: ParseMessage[] = [];
  let failure: Error | null = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (message: ParseMessage) => {
    queue.push(message);
    notify();
  });
  worker.on('error', (error) => {
    failure ??= error;
    notify();
  });
  worker.on('exit', (code) => {
    if (!ended) failure ??= new Error(`the file reader's thread stopped (exit code ${code}) before the end of the file`);
    notify();
  });
  try {
    for (;;) {
      while (queue.length === 0 && failure === null) await new Promise<void>((resolve) => (wake = resolve));
      const message = queue.shift();
      if (message === undefined) throw failure!;
      if (message.type === 'batch') {
        onProgress(message.progress);
        const { rides } = message.batch;
        // once written, the batch's buffers go back to the worker to be filled again
        const release = rides && (() => worker.postMessage({ type: 'recycle', parts: rides } satisfies ParseCredit, transferOf(rides)));
        yield release ? { ...message.batch, release } : message.batch;
        worker.postMessage({ type: 'more' } satisfies ParseCredit);
      } else if (message.type === 'end') {
        ended = true;
        onProgress(message.progress);
        return;
      } else {
        ended = true;
        throw message.unreadable ? new UnreadableFileError(message.path, message.message) : new Error(message.message);
      }
    }
  } finally {
    ended = true;
    await worker.terminate();
  }
}
