// The loading thread's side of the file reader's worker (parseWorker.ts): whether a file is read
// there, starting it, and its batches as the loader's input, at most a few ahead of the loader.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EncodedBatch, RowEncoding } from '../../storage/rideLoads.js';
import { transferOf } from '../../storage/rideRows.js';
import type { RideFile } from './inspectFile.js';
import type { ParseCredit, ParseJob, ParseMessage, ParseStart } from './parseWorker.js';
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

/**
 * A parse worker started before its file is known to need one: `ridescan load` starts it first
 * thing, so that the thread and its modules (~0.15–0.2 s) load while the main thread loads its
 * own and opens the database, instead of after the load's first statements. Taken by the file's
 * workerBatches when that file is read on a worker of the same script, else ended by close().
 */
export class SpareParseWorker {
  private thread: ParseThread | null;

  constructor(readonly script: URL) {
    this.thread = ParseThread.start(script);
  }

  /** The worker, once, if it runs this script and still runs. */
  take(script: URL): ParseThread | null {
    const thread = this.thread;
    if (thread === null || script.href !== this.script.href || thread.exited || thread.failure !== null) return null;
    this.thread = null;
    return thread;
  }

  /** Ends the worker if no file took it. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    await thread?.end();
  }
}

/**
 * A spare worker for a load whose first file will likely be read on one (a file of at least
 * WORKER_MIN_BYTES, or any with thread 'worker', that is not Parquet, the compiled script
 * there), else null. Decided from the
 * file's size and first bytes only: the file is inspected later, and a worker it does not take is
 * ended.
 */
export function spareParseWorker(path: string | undefined, choice: ReaderChoice = { thread: 'auto' }): SpareParseWorker | null {
  if (path === undefined || choice.thread === 'main') return null;
  const script = choice.workerScript ?? DEFAULT_SCRIPT;
  try {
    if ((choice.thread === 'auto' && statSync(path).size < WORKER_MIN_BYTES) || !existsSync(fileURLToPath(script))) return null;
    const fd = openSync(path, 'r');
    const magic = Buffer.alloc(4);
    try {
      readSync(fd, magic, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    if (magic.toString('latin1') === 'PAR1') return null;
  } catch {
    return null; // not there, not readable: the load says so when it inspects the file
  }
  return new SpareParseWorker(script);
}

/**
 * The file's rows as the loader's input, parsed and encoded on a worker thread. The worker is
 * given its job now (the spare's, when it runs this script), and parses ahead of the load's
 * transaction; its rows get the load's id when the loader calls `batches`. close() ends a worker
 * whose batches were never asked for (the load failed before).
 */
export function workerBatches(
  script: URL,
  file: RideFile,
  zones: { source: string; service: string },
  onProgress: ProgressListener,
  reading: Pick<ReaderChoice, 'readBytes'> & { batchRides: number },
  spare?: SpareParseWorker | null,
): { batches: (encoding: RowEncoding) => AsyncIterable<EncodedBatch>; close(): Promise<void> } {
  const job: ParseJob = {
    file: { path: file.path, name: file.name, bytes: file.bytes, container: file.container, layout: file.layout },
    sourceTimeZone: zones.source,
    serviceTimeZone: zones.service,
    encoding: { source: file.layout.format, batchRides: reading.batchRides },
    readBytes: reading.readBytes,
    ahead: AHEAD,
  };
  const thread = spare?.take(script) ?? ParseThread.start(script);
  thread.worker.postMessage({ type: 'job', job } satisfies ParseStart);
  let taken = false;
  return {
    batches: (encoding) => {
      if (encoding.source !== job.encoding.source || encoding.batchRides !== job.encoding.batchRides) {
        throw new Error(`the parse worker encodes ${job.encoding.source} in batches of ${job.encoding.batchRides}, asked for ${encoding.source} in ${encoding.batchRides}`);
      }
      taken = true;
      thread.worker.postMessage({ type: 'loadId', loadId: encoding.loadId } satisfies ParseCredit);
      return fromWorker(thread, onProgress);
    },
    async close() {
      if (!taken) await thread.end();
    },
  };
}

/**
 * A parse worker and what it said, listened to from its start (a spare runs before its file is
 * known): its messages queued, its failure or exit kept, so that none is lost before the loader
 * asks for batches.
 */
class ParseThread {
  readonly queue: ParseMessage[] = [];
  failure: Error | null = null;
  /** the end or an error came: an exit after it is no failure */
  ended = false;
  exited = false;
  private wake: (() => void) | null = null;

  constructor(readonly worker: Worker) {
    worker.on('message', (message: ParseMessage) => {
      this.queue.push(message);
      this.notify();
    });
    worker.on('error', (error) => {
      this.failure ??= error;
      this.notify();
    });
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.ended) this.failure ??= new Error(`the file reader's thread stopped (exit code ${code}) before the end of the file`);
      this.notify();
    });
  }

  static start(script: URL): ParseThread {
    return new ParseThread(new Worker(script, { workerData: { awaitJob: true } }));
  }

  /** Until a message or a failure. */
  async next(): Promise<void> {
    while (this.queue.length === 0 && this.failure === null) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  async end(): Promise<void> {
    this.ended = true;
    await this.worker.terminate();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

async function* fromWorker(thread: ParseThread, onProgress: ProgressListener): AsyncGenerator<EncodedBatch> {
  const { worker } = thread;
  try {
    for (;;) {
      await thread.next();
      const message = thread.queue.shift();
      if (message === undefined) throw thread.failure!;
      if (message.type === 'batch') {
        onProgress(message.progress);
        const { rides } = message.batch;
        // once written, the batch's buffers go back to the worker to be filled again
        const release = rides && (() => worker.postMessage({ type: 'recycle', parts: rides } satisfies ParseCredit, transferOf(rides)));
        yield release ? { ...message.batch, release } : message.batch;
        worker.postMessage({ type: 'more' } satisfies ParseCredit);
      } else if (message.type === 'end') {
        thread.ended = true;
        onProgress(message.progress);
        return;
      } else {
        thread.ended = true;
        throw message.unreadable ? new UnreadableFileError(message.path, message.message) : new Error(message.message);
      }
    }
  } finally {
    await thread.end();
  }
}
