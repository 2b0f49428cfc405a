// The embedded database's data directory belongs to one process at a time: PGlite is a
// single-user Postgres, and two processes writing one directory would corrupt it. A lock file
// with the owner's pid and start time makes a second process wait for the first (a scheduler tick, a CLI
// command), and a lock left by a dead process is taken over.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { ownerAlive, ownerToken } from './processAlive.js';

export class DataDirBusyError extends Error {
  constructor(dir: string, pid: number, waitedMs: number) {
    super(
      `the embedded database ${dir} is in use by process ${pid} (waited ${Math.round(waitedMs / 1000)} s); ` +
        'use a PostgreSQL server (DATABASE_URL) to run several ridescan processes at once',
    );
    this.name = 'DataDirBusyError';
  }
}

export async function lockDataDir(dir: string, waitMs: number): Promise<() => void> {
  const path = `${dir}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, ownerToken());
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        rmSync(path, { force: true });
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const token = readFileSafe(path);
    const owner = Number(token.split(/\s+/)[0]);
    // An empty file is a lock being written this instant (create, then write): not yet abandoned.
    const beingWritten = token === '' && Date.now() - mtimeMs(path) < 5_000;
    if (!beingWritten && !ownerAlive(token)) {
      rmSync(path, { force: true }); // left by a process that is gone, or whose pid was reused
      continue;
    }
    if (Date.now() - started >= waitMs) throw new DataDirBusyError(dir, owner, Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
