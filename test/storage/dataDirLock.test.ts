import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/storage/adapters/dataDirLock.js';

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

  it('takes over a lock left by a process that is gone', async () => {
    const dir = join(root, 'stale');
    // a pid far above pid_max is never alive
    writeFileSync(`${dir}.lock`, '999999999');
    const release = await lockDataDir(dir, 300);
    release();
  });
});
