// Structured logs: JSON lines (pino) for machines, one readable line per event on a terminal.
// Format and level come from the configuration (RIDESCAN_LOG_FORMAT, RIDESCAN_LOG_LEVEL).
import pino, { type Logger } from 'pino';
import type { RidescanConfig } from './config.js';

export type { Logger };

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

export interface LogSink {
  write(text: string): void;
  isTTY: boolean;
}

/** JSON lines to the sink; readable lines when it is a terminal (unless the format is set). */
export function createLogger(config: Pick<RidescanConfig, 'logFormat' | 'logLevel'>, sink: LogSink, options: { level?: string } = {}): Logger {
  const pretty = config.logFormat ? config.logFormat === 'pretty' : sink.isTTY;
  const level = options.level ?? config.logLevel;
  return pino(
    { level, base: pretty ? undefined : { pid: process.pid } },
    {
      write(chunk: string) {
        if (!pretty) return sink.write(chunk);
        for (const line of chunk.split('\n')) if (line) sink.write(`${prettyLine(line)}\n`);
      },
    },
  );
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
