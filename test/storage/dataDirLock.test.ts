import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/storage/adapters/dataDirLock.js';
import { ownerAlive, ownerToken } from '../../src/storage/adapters/processAlive.js';

const root = mkdtempSync(join(tmpdir(), 'ridescan-dirlock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the embedded data directory lock', () => {
  it('makes a second opener wait, then says which process holds it', async () => {
    const dir = join(root, 'busy');
    const release = await lockDataDir(dir, 1_000);
    const started = Date.now();
    await expect(lockDataDir(dir, 300)).rejects.toThrow(new RegExp(`in use by process ${process.pid}.*DATABASE_URL`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    release();
    const again = await lockDataDir(dir, 300);
    again();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process (a reused pid)', async () => {
    const dir = join(root, 'reused');
    // pid 1 is alive, but it did not start that far into the boot: not the owner that wrote it
    writeFileSync(`${dir}.lock`, '1 999999999999');
    const release = await lockDataDir(dir, 300);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(ownerToken());
    release();
  });

  it('records its owner as pid and start time, and waits for a live one', async () => {
    const token = ownerToken();
    expect(token).toMatch(new RegExp(`^${process.pid}( \\d+)?$`));
    expect(ownerAlive(token)).toBe(true);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dir = join(root, 'stale');
    // a pid far above pid_max is never alive
    writeFileSync(`${dir}.lock`, '999999999');
    const release = await lockDataDir(dir, 300);
    release();
  });
});
