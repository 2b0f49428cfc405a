// Parquet files → rows of values, one window at a time, through hyparquet. Parquet's unit of
// reading is the row group: a group is read in windows when the file has an offset index (pages
// can be located), else whole, so memory is bounded by the file's row group, not its size.
import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema, type AsyncBuffer, type FileMetaData, type ParquetParsers } from 'hyparquet';
import type { InstantValue } from './fieldDecoders.js';
import { UnreadableFileError } from './unreadableFileError.js';
import { errorMessage } from '../errors.js';

/** hyparquet decodes these itself; others (ZSTD, GZIP, …) would need hyparquet-compressors. */
const READABLE_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY']);
const WINDOW_ROWS = 65_536;

export interface ParquetSource {
  path: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  /** the top-level column names, in file order */
  columnNames: string[];
  rowCount: number;
}

export interface ParquetWindow {
  /** index in the file of the window's first row, from 0 */
  firstRow: number;
  /** the values of the requested columns, in the order requested */
  rows: unknown[][];
}

// Times as ms since 1970: wall-clock times stay wall-clock times (TLC's are New York's).
const parsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => Number(ms),
  timestampFromMicroseconds: (us: bigint) => Number(us) / 1000,
  timestampFromNanoseconds: (ns: bigint) => Number(ns / 1000n) / 1000,
  dateFromDays: (days: number) => days * 86_400_000,
};

export async function openParquet(path: string): Promise<ParquetSource> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new UnreadableFileError(path, `not a readable Parquet file: ${errorMessage(error)}`);
  }
  const columnNames = parquetSchema(metadata).children.map((child) => child.element.name);
  return { path, file, metadata, columnNames, rowCount: Number(metadata.num_rows) };
}

/** Fails, before anything is read, when a needed column is compressed with a codec we lack. */
export function checkCodecs(source: ParquetSource, columns: readonly string[]): void {
  const wanted = new Set(columns);
  for (const group of source.metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (meta && wanted.has(meta.path_in_schema[0]) && !READABLE_CODECS.has(meta.codec)) {
        throw new UnreadableFileError(
          source.path,
          `column ${meta.path_in_schema[0]} is compressed with ${meta.codec}; ridescan reads uncompressed and SNAPPY Parquet (as TLC publishes)`,
        );
      }
    }
  }
}

/** Rows of the given columns, window by window. */
export async function* parquetWindows(source: ParquetSource, columns: readonly string[]): AsyncGenerator<ParquetWindow> {
  const scan = await parquetScan({ file: source.file, metadata: source.metadata, columns: [...columns], parsers });
  // A timestamp stored as adjusted to UTC is an instant, not a wall-clock time.
  const elements = new Map(parquetSchema(source.metadata).children.map((c) => [c.element.name, c.element]));
  const instantColumns = columns.map((name) => {
    const type = elements.get(name)?.logical_type;
    return type?.type === 'TIMESTAMP' && type.isAdjustedToUTC;
  });
  const windowed = source.metadata.row_groups.every((g) => g.columns.every((c) => c.offset_index_offset !== undefined));
  for (const range of scan.ranges) {
    const step = windowed ? WINDOW_ROWS : range.rowEnd - range.rowStart;
    for (let start = range.rowStart; start < range.rowEnd; start += step) {
      const end = Math.min(range.rowEnd, start + step);
      const data = await Promise.all(columns.map((column) => scan.readColumn({ column, rowStart: start, rowEnd: end })));
      for (let from = 0; from < end - start; from += WINDOW_ROWS) {
        const to = Math.min(end - start, from + WINDOW_ROWS);
        const rows: unknown[][] = new Array(to - from);
        for (let i = from; i < to; i++) {
          const row = new Array(columns.length);
          for (let c = 0; c < columns.length; c++) {
            const v = data[c][i];
            row[c] = instantColumns[c] && typeof v === 'number' ? ({ instantMs: v } satisfies InstantValue) : v;
          }
          rows[i - from] = row;
        }
        yield { firstRow: start + from, rows };
      }
    }
  }
}
