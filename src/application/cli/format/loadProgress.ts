// The progress bar of `ridescan load`: on a terminal only (stderr), so that logs and pipes get
// the summary and nothing else. Shows rows, rows/s and the ETA, from the bytes (CSV) or rows
// (Parquet) read so far.
import cliProgress from 'cli-progress';
import type { RideFile } from '../../ingest/inspectFile.js';
import type { ReadProgress } from '../../ingest/rideBatches.js';

const int = new Intl.NumberFormat('en-US');

export interface LoadProgress {
  start(file: RideFile): void;
  update(progress: ReadProgress): void;
  stop(): void;
}

export function loadProgress(enabled: boolean): LoadProgress {
  if (!enabled) return { start() {}, update() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  let started = 0;
  return {
    start(file) {
      started = performance.now();
      bar = new cliProgress.SingleBar({
        format: `${file.name} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      });
      bar.start(file.parquet ? file.parquet.rowCount : file.bytes, 0, { rows: '0', rate: '0' });
    },
    update(progress) {
      const seconds = (performance.now() - started) / 1000;
      bar?.update(progress.done, {
        rows: int.format(progress.rowsRead),
        rate: seconds > 0 ? int.format(Math.round(progress.rowsRead / seconds)) : '0',
      });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
