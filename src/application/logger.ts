// Structured logs: JSON lines (pino) for machines, one readable line per event on a terminal.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** JSON lines on stdout; readable lines when stdout is a terminal (or RIDESCAN_LOG_FORMAT=pretty). */
export function createLogger(options: { pretty?: boolean; level?: string; toStderr?: boolean } = {}): Logger {
  const out = options.toStderr ? process.stderr : process.stdout;
  const pretty = options.pretty ?? (process.env.RIDESCAN_LOG_FORMAT ? process.env.RIDESCAN_LOG_FORMAT === 'pretty' : out.isTTY === true);
  const level = options.level ?? process.env.RIDESCAN_LOG_LEVEL ?? 'info';
  if (!pretty) return pino({ level, base: { pid: process.pid } }, pino.destination({ fd: options.toStderr ? 2 : 1, sync: true }));
  return pino({ level }, new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) out.write(`${prettyLine(line)}\n`);
      done();
    },
  }));
}

function prettyLine(line: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line);
  } catch {
    return line;
  }
  const time = new Date(Number(event.time)).toISOString().slice(11, 19);
  const fields = Object.entries(event)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${time} ${(LEVELS[Number(event.level)] ?? 'LOG').padEnd(5)} ${event.msg ?? ''}${fields ? `  ${fields}` : ''}`;
}
