// The file reader's worker thread: reads a CSV file (plain or gzip), splits, validates, derives the
// TLC ids and encodes the rides as binary COPY rows, exactly as the loading thread would
// (rideBatches, then RideRows), and posts each batch of rows to it, moved rather than copied.
// Why a thread: on a 1M-row TLC file this work is about 8 of the ~10 CPU seconds Node spends,
// and on one thread it was the load's critical path while PostgreSQL wrote on the other core
// (docs/performance.md, "Issue 13: the load's reader on a thread of its own"). The loading thread is
// left with the COPYs and the look-ups of ids already present.
// One worker reads the whole file in order, so that a record that spans two chunks of the file
// (a quoted field with a line break) is joined by the same CsvRecordReader as on one thread, and
// line numbers and rejects are the same. Spawned and spoken to by encodedBatches.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { RideRows, setLoadId, type IdBytes, type RideRowsParts } from '../../storage/rideRows.js';
import { TLC_ID_BYTES } from './tlcRideId.js';
import type { EncodedBatch, RejectRow, RowEncoding } from '../../storage/rideLoads.js';
import type { LoadedRide } from './types.js';
import { rideBatches, type ReadProgress } from './rideBatches.js';
import type { RideFile } from './inspectFile.js';
import { ZoneClock } from './zoneClock.js';
import { UnreadableFileError } from './unreadableFileError.js';
import { errorMessage } from '../errors.js';

/**
 * What the worker is sent once started (it is started before its file is known: the load command
 * starts one before the database opens, see encodedBatches.ts spareParseWorker). The load's id
 * comes later, when the load has its row in `loads`: until then the worker parses and encodes with
 * a provisional id, and holds its batches back.
 */
export interface ParseJob {
  file: Pick<RideFile, 'path' | 'name' | 'bytes' | 'container' | 'layout'>;
  sourceTimeZone: string;
  serviceTimeZone: string;
  encoding: Omit<RowEncoding, 'loadId'>;
  /** bytes per read of the file (tests make it small, to cut records across reads) */
  readBytes?: number;
  /** batches the worker may post before the loading thread has taken one */
  ahead: number;
}

/** Worker → loading thread. */
export type ParseMessage =
  | { type: 'batch'; batch: EncodedBatch; progress: ReadProgress }
  | { type: 'end'; progress: ReadProgress }
  | { type: 'error'; unreadable: boolean; path: string; message: string };

/**
 * Loading thread → worker: it took a batch, one more may come; or it wrote one, whose buffers
 * the worker fills again (see RideRows.reusing).
 */
export type ParseCredit = { type: 'more' } | { type: 'recycle'; parts: RideRowsParts } | { type: 'loadId'; loadId: number };

/** Loading thread → a worker just started (workerData `{ awaitJob: true }`): its job. */
export interface ParseStart {
  type: 'job';
  job: ParseJob;
}

/** The load_id written into rows encoded before the load's id came, patched before they are posted. */
const PROVISIONAL_LOAD_ID = 0;

/**
 * The first batch is posted at this many rides: the database waits, idle, for it (0.38 s of a
 * 5.5 s load of 1M TLC rows: the load's first statements, the thread's start and 25,000 rides
 * parsed by code not yet optimized), and from the second batch on the worker runs ahead anyway.
 */
const FIRST_BATCH_RIDES = 2_500;

/** Rejects posted on their own once this many wait (a file of bad rows must not pile up). */
const REJECTS_PER_MESSAGE = 1_000;

async function run(job: ParseJob): Promise<void> {
  const port = parentPort!;
  let credits = job.ahead;
  let posted = 0;
  let wake: (() => void) | null = null;
  const pool: RideRowsParts[] = [];
  let loadId: number | null = null;
  // the id rows are encoded with: the load's once it came
  const encodingId = () => loadId ?? PROVISIONAL_LOAD_ID;
  // batches posted before the load's id came, sent (their rows' load_id set) once it comes
  type Held = { batch: EncodedBatch; transfer: ArrayBuffer[]; progress: ReadProgress; provisional: boolean };
  const held: Held[] = [];
  let allSent: (() => void) | null = null;
  const send = ({ batch, transfer, progress: at, provisional }: Held) => {
    if (provisional && batch.rides !== null) setLoadId(batch.rides, loadId!);
    port.postMessage({ type: 'batch', batch, progress: at } satisfies ParseMessage, transfer);
  };
  port.on('message', (message: ParseCredit) => {
    if (message.type === 'recycle') {
      pool.push(message.parts);
      return;
    }
    if (message.type === 'loadId') {
      loadId = message.loadId;
      for (const batch of held.splice(0)) send(batch);
      allSent?.();
      return;
    }
    credits++;
    wake?.();
  });
  const post = async (batch: EncodedBatch, transfer: ArrayBuffer[], provisional = false) => {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    credits--;
    const message = { batch, transfer, progress, provisional };
    if (loadId === null) held.push(message);
    else send(message);
    posted++;
  };

  const { source, batchRides } = job.encoding;
  let rows = new RideRows(source, encodingId(), 1 << 20, undefined, true);
  let rejects: RejectRow[] = [];
  let progress: ReadProgress = { done: 0, total: job.file.bytes, rowsRead: 0 };
  // TLC ids come as bytes, written by the validator here, straight into the COPY row
  const tlc = job.file.layout.format !== 'rides-csv';
  const ids: IdBytes = { bytes: new Uint8Array(TLC_ID_BYTES), length: 0 };
  const onRide = tlc ? (ride: LoadedRide) => rows.add(ride, ids) : (ride: LoadedRide) => rows.add(ride);
  const onReject = (reject: RejectRow) => void rejects.push(reject);
  const flush = async () => {
    const batch = rows;
    // the buffers of a batch written, else new ones as large as this batch's
    const reuse = pool.pop();
    rows = reuse ? RideRows.reusing(source, encodingId(), reuse) : batch.emptyLike(encodingId());
    const { parts, transfer } = batch.parts();
    const taken = rejects;
    rejects = [];
    await post({ rides: parts, rejects: taken }, transfer, batch.loadId === PROVISIONAL_LOAD_ID);
  };
  const clocks = { source: new ZoneClock(job.sourceTimeZone), service: new ZoneClock(job.serviceTimeZone) };
  const file = { ...job.file, detected: false, ignoredColumns: [] };
  // a TLC file's quote-free lines decoded straight from its bytes (tlcLines.ts): the rides and
  // rejects are the string path's, for about a quarter less of this thread's CPU
  for await (const batch of rideBatches(file, clocks, (p) => (progress = p), { readBytes: job.readBytes, ids: tlc ? ids : undefined, byteLines: true })) {
    batch.each(onRide, onReject);
    if (rows.count >= (posted === 0 ? Math.min(batchRides, FIRST_BATCH_RIDES) : batchRides)) await flush();
    else if (rejects.length >= REJECTS_PER_MESSAGE) {
      const taken = rejects;
      rejects = [];
      await post({ rides: null, rejects: taken }, []);
    }
  }
  if (rows.count > 0) await flush();
  else if (rejects.length > 0) await post({ rides: null, rejects }, []);
  // the end after every batch: a file read whole before the load's id came waits for it
  if (held.length > 0) await new Promise<void>((resolve) => (allSent = resolve));
  port.postMessage({ type: 'end', progress } satisfies ParseMessage);
}

// Only as the worker encodedBatches.ts starts (whose workerData says that the job will come as a
// message): imported anywhere else, even in another worker thread (a test runner's), the module
// does nothing.
if (parentPort !== null && (workerData as { awaitJob?: boolean } | null)?.awaitJob === true) {
  parentPort.once('message', (message: ParseStart) => start(message.job));
}

function start(job: ParseJob): void {
  run(job).catch((error: unknown) => {
    const unreadable = error instanceof UnreadableFileError;
    parentPort!.postMessage({
      type: 'error',
      unreadable,
      path: unreadable ? error.path : '',
      message: errorMessage(error),
    } satisfies ParseMessage);
  });
}
