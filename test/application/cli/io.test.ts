// Output to a reader that went away (`ridescan query … | head`): dropped, not a crash. Before, the
// EPIPE was an unhandled 'error' event that ended the process with a stack trace.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { streamIo } from '../../../src/application/cli/context.js';

/** A stream whose reader has gone: every write fails as a closed pipe's does. */
function closedPipe(): Writable & { attempts: number } {
  const stream = new Writable({
    write(_chunk, _encoding, callback) {
      stream.attempts++;
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  }) as Writable & { attempts: number };
  stream.attempts = 0;
  return stream;
}

describe('command output', () => {
  it('drops what a closed pipe cannot take, and keeps the other stream', async () => {
    const out = closedPipe();
    const lines: string[] = [];
    const err = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    const io = streamIo(out, err);
    io.out('first');
    await new Promise((resolve) => setImmediate(resolve));
    // the failed write destroyed the stream; later lines are not attempted, and nothing threw
    io.out('second');
    io.out('third');
    io.err('still here');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.attempts).toBe(1);
    expect(lines).toEqual(['still here\n']);
  });

});
