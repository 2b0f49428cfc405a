// Looks at a file before anything is loaded: is it there, is it Parquet, gzip or text, and which
// format do its columns say it is. Everything that makes a file unreadable as a whole is found
// here, so that such a file fails before its transaction opens.
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { basename, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { FileContainer } from './types.js';
import { describeFormats, detectFormat, layoutFor, type ColumnLayout, type RequestedFormat } from './formats.js';
import { checkCodecs, openParquet, type ParquetSource } from './parquetRows.js';
import { UnreadableFileError } from './unreadableFileError.js';

const HEAD_BYTES = 1 << 16;

export interface RideFile {
  path: string;
  name: string;
  bytes: number;
  container: FileContainer;
  layout: ColumnLayout;
  /** true when --format auto chose the format */
  detected: boolean;
  /** the file's columns that no column of the format uses */
  ignoredColumns: string[];
  parquet?: ParquetSource;
}

export async function inspectRideFile(path: string, requested: RequestedFormat): Promise<RideFile> {
  const absolute = resolve(path);
  const fail = (message: string): never => {
    throw new UnreadableFileError(path, message);
  };
  let bytes = 0;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) fail('is not a regular file');
    bytes = info.size;
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message);
  }
  if (bytes === 0) fail('the file is empty: no header, no rows');

  const head = await readHead(absolute);
  let container: FileContainer;
  let names: string[];
  let parquet: ParquetSource | undefined;
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') {
    container = 'parquet';
    parquet = await openParquet(absolute);
    names = parquet.columnNames;
  } else {
    const gzipped = head[0] === 0x1f && head[1] === 0x8b;
    container = gzipped ? 'csv.gz' : 'csv';
    names = headerNames(gzipped ? await readGunzippedHead(absolute, fail) : head, bytes, fail);
  }

  let layout: ColumnLayout;
  if (requested === 'auto') {
    const found = detectFormat(names);
    if (!found) {
      const shown = names.join(',');
      fail(`the ${container === 'parquet' ? 'columns match' : 'header matches'} no known format (${describeFormats()}); found: ${shown.length > 160 ? `${shown.slice(0, 160)}…` : shown}`);
    }
    layout = found!;
  } else {
    const found = layoutFor(requested, names);
    if ('missing' in found) fail(`the ${container === 'parquet' ? 'columns are' : 'header is'} not ${requested}'s: no ${found.missing.join(', ')}`);
    layout = found as ColumnLayout;
  }
  if (parquet) {
    checkCodecs(parquet, layout.positions.filter((p) => p >= 0).map((p) => names[p]));
  }
  const used = new Set(layout.positions);
  return {
    path: absolute,
    name: basename(absolute),
    bytes,
    container,
    layout,
    detected: requested === 'auto',
    ignoredColumns: names.filter((_, i) => !used.has(i)),
    parquet,
  };
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readGunzippedHead(path: string, fail: (message: string) => never): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES || chunk.includes(10)) break;
    }
  } catch (error) {
    fail(`not a readable gzip file: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/** The column names of a CSV header, from the first bytes of the (decompressed) file. */
function headerNames(head: Buffer, fileBytes: number, fail: (message: string) => never): string[] {
  if (head.includes(0)) fail('binary content: not a CSV or Parquet file');
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    fail('not UTF-8 text: not a CSV or Parquet file');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const end = text.indexOf('\n');
  if (end < 0 && fileBytes > HEAD_BYTES) fail(`no line break in the first ${HEAD_BYTES / 1024} KiB: not a CSV file`);
  const line = (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '');
  if (line.trim() === '') fail('the first line is empty: a CSV file starts with its header');
  try {
    const [names] = parseCsv(line, { relax_column_count: true }) as string[][];
    return names.map((n) => n.trim());
  } catch (error) {
    return fail(`the header line is not CSV: ${(error as Error).message}`);
  }
}
