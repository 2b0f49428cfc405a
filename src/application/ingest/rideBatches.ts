// A ride file as a stream of batches for rideLoads.ts: each row read is handed over exactly once,
// as a validated ride or as a rejected row. That is what makes the account add up.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { LoadBatch, LoadedRide, RideReject } from './types.js';
import { CsvRecordReader, type RecordListener, type RecordProblem } from './csvRecords.js';
import { rowValidator, type RowClocks } from './rowSchemas.js';
import { ValuesRow } from './rowSources.js';
import { ByteRecordReader } from './byteRecords.js';
import { TlcLineDecoder } from './tlcLines.js';
import type { IdBytes } from '../../storage/rideRows.js';
import type { RideFile } from './inspectFile.js';
import type { ColumnLayout } from './formats.js';
import { UnreadableFileError } from './unreadableFileError.js';
import { errorMessage } from '../errors.js';

export interface ReadProgress {
  /** bytes of the file read so far (compressed bytes for .gz); Parquet: rows */
  done: number;
  total: number;
  rowsRead: number;
}

export type ProgressListener = (progress: ReadProgress) => void;

export interface ReadOptions {
  /** CSV: bytes per read of the file (default 64 KiB; tests make it small, to cut records across reads) */
  readBytes?: number;
  /** TLC: write each ride's id as bytes here (RideRows.add takes them), its rideId left empty */
  ids?: IdBytes;
  /**
   * TLC CSV: decode quote-free lines straight from the file's bytes (tlcLines.ts), the others as
   * text; the rides and rejects are the same either way
   */
  byteLines?: boolean;
}

export function rideBatches(file: RideFile, clocks: RowClocks, onProgress: ProgressListener = () => {}, options: ReadOptions = {}): AsyncIterable<LoadBatch> {
  return file.container === 'parquet' ? parquetBatches(file, clocks, onProgress, options.ids) : csvBatches(file, clocks, onProgress, options);
}

async function* csvBatches(file: RideFile, clocks: RowClocks, onProgress: ProgressListener, options: ReadOptions): AsyncGenerator<LoadBatch> {
  const validator = rowValidator(file.layout, clocks, options.ids);
  const width = file.layout.width;
  const lines = options.byteLines ? TlcLineDecoder.for(file.layout, validator) : null;
  // Small chunks: the event loop gets a turn every few milliseconds to feed the COPY in flight.
  const raw = createReadStream(file.path, { highWaterMark: options.readBytes ?? 1 << 16 });
  let text: Readable = raw;
  if (file.container === 'csv.gz') {
    const gunzip = createGunzip();
    raw.on('error', (error) => gunzip.destroy(error));
    text = raw.pipe(gunzip);
  }
  if (lines === null) text.setEncoding('utf8');

  let rowsRead = 0;
  let header = true;
  const reader = new CsvRecordReader(width);
  // Each chunk of text is a batch: its lines are split, validated and handed over as the
  // consumer asks for them, one at a time.
  let onRide: (ride: LoadedRide) => void = () => {};
  let onReject: (reject: RideReject) => void = () => {};
  const onRecord: RecordListener = (line, recordText, fields, unterminated, problem) => {
    if (header) {
      header = false;
      return;
    }
    rowsRead++;
    const why = problem ?? fieldCountProblem(fields!.width, width, unterminated);
    if (why) {
      onReject({ lineNumber: line, reasonCode: why.reasonCode, reason: why.reason, raw: recordText });
      return;
    }
    const outcome = validator.validate(fields!);
    if (outcome.ok) onRide(outcome.ride);
    else onReject({ lineNumber: line, reasonCode: outcome.reasonCode, reason: outcome.reason, raw: recordText });
  };
  // the byte path: a line the decoder takes is a ride; any other goes to `reader` as text
  const take = (bytes: Buffer, start: number, end: number): boolean => {
    if (header) return false;
    const ride = lines!.decode(bytes, start, end);
    if (ride === null) return false;
    rowsRead++;
    onRide(ride);
    return true;
  };
  const byteReader = lines === null ? null : new ByteRecordReader(reader, take);
  const batch = (feed: () => void): LoadBatch => ({
    each(rideListener, rejectListener) {
      onRide = rideListener;
      onReject = rejectListener;
      feed();
    },
  });
  try {
    if (byteReader !== null) {
      for await (const chunk of text as AsyncIterable<Buffer>) {
        yield batch(() => byteReader.feed(chunk, onRecord));
        onProgress({ done: raw.bytesRead, total: file.bytes, rowsRead });
      }
      yield batch(() => byteReader.end(onRecord));
      return;
    }
    for await (const chunk of text as AsyncIterable<string>) {
      yield batch(() => reader.feed(chunk, onRecord));
      onProgress({ done: raw.bytesRead, total: file.bytes, rowsRead });
    }
    yield batch(() => reader.end(onRecord));
  } catch (error) {
    // A read error half way (a gzip stream cut short, a disk error) fails the whole file.
    if (error instanceof UnreadableFileError) throw error;
    const message = errorMessage(error);
    throw new UnreadableFileError(file.path, `reading stopped after ${rowsRead.toLocaleString('en-US')} rows: ${message}`);
  } finally {
    raw.destroy();
  }
}

function fieldCountProblem(count: number, width: number, unterminated: boolean): RecordProblem | null {
  if (count === width) return null;
  if (unterminated && count < width) {
    return {
      reasonCode: 'truncated_line',
      reason: `the file ends in the middle of this row: it has ${count} of ${width} fields and no line break after it (the file looks cut short)`,
    };
  }
  return { reasonCode: 'field_count', reason: `has ${count} field${count === 1 ? '' : 's'}; the header has ${width}` };
}

async function* parquetBatches(file: RideFile, clocks: RowClocks, onProgress: ProgressListener, ids?: IdBytes): AsyncGenerator<LoadBatch> {
  const source = file.parquet!;
  // Read only the columns the format uses; the layout then points into that selection.
  const used = file.layout.positions.filter((p) => p >= 0).sort((a, b) => a - b);
  const columns = used.map((p) => source.columnNames[p]);
  const layout: ColumnLayout = {
    ...file.layout,
    positions: file.layout.positions.map((p) => (p < 0 ? -1 : used.indexOf(p))),
    width: columns.length,
  };
  const validator = rowValidator(layout, clocks, ids);
  const row = new ValuesRow([]);
  // imported here: the CSV reader's worker thread then starts without the Parquet library (~30 ms)
  const { parquetWindows } = await import('./parquetRows.js');
  let rowsRead = 0;
  try {
    for await (const window of parquetWindows(source, columns)) {
      yield {
        each(onRide, onReject) {
          for (let i = 0; i < window.rows.length; i++) {
            rowsRead++;
            row.values = window.rows[i];
            const outcome = validator.validate(row);
            if (outcome.ok) onRide(outcome.ride);
            else {
              onReject({
                lineNumber: window.firstRow + i + 1,
                reasonCode: outcome.reasonCode,
                reason: outcome.reason,
                raw: parquetRowText(columns, window.rows[i]),
              });
            }
          }
        },
      };
      onProgress({ done: rowsRead, total: source.rowCount, rowsRead });
    }
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    const message = errorMessage(error);
    throw new UnreadableFileError(file.path, `reading stopped after ${rowsRead.toLocaleString('en-US')} rows: ${message}`);
  }
}

/** A Parquet row as JSON, for the reject's raw text. */
function parquetRowText(columns: string[], row: unknown[]): string {
  const object: Record<string, unknown> = {};
  columns.forEach((name, i) => (object[name] = row[i]));
  return JSON.stringify(object, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}
