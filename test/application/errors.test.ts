import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT, ConfigError, DatabaseError, UsageError, WorkFailedError, exitCodeOf } from '../../src/application/errors.js';
import { DatabaseUnavailableError } from '../../src/storage/database.js';
import { ReportUnavailableError } from '../../src/application/report/buildReport.js';

describe('exit codes: the one map from error to code', () => {
  it('maps each kind of error to its documented code, with its message as it is', () => {
    expect(exitCodeOf(new UsageError('--from is after --to'))).toEqual({ code: EXIT.usage, message: '--from is after --to', known: true });
    expect(exitCodeOf(new ConfigError('RIDESCAN_TZ is wrong'))).toMatchObject({ code: 2, message: 'configuration error: RIDESCAN_TZ is wrong' });
    expect(exitCodeOf(new DatabaseError('schema not current'))).toMatchObject({ code: 3 });
    expect(exitCodeOf(new DatabaseUnavailableError('postgres://x', new Error('refused')))).toMatchObject({ code: 3, known: true });
    expect(exitCodeOf(new WorkFailedError('query failed'))).toMatchObject({ code: 1, known: true });
    expect(exitCodeOf(new ReportUnavailableError('no rides'))).toMatchObject({ code: 1, message: 'no rides', known: true });
    const zod = z.object({ n: z.number() }).safeParse({ n: 'x' });
    expect(exitCodeOf(zod.error)).toMatchObject({ code: 2, known: true });
    expect(exitCodeOf(zod.error).message).toMatch(/^n /);
  });

  it('says a full disk in words, not a stack, and keeps the stack of a real bug', () => {
    const full = exitCodeOf(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(full).toMatchObject({ code: 1, known: true });
    expect(full.message).toMatch(/^the disk is full .*nothing of this command was kept/);
    expect(exitCodeOf(Object.assign(new Error('could not extend file "base/5/16384"'), { code: '53100' })).message).toMatch(/disk is full/);
    const bug = exitCodeOf(new TypeError('x is undefined'));
    expect(bug).toMatchObject({ code: 1, known: false });
    expect(bug.message).toMatch(/TypeError: x is undefined\n\s+at /);
  });
});
