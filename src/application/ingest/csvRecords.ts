// CSV text → records, pushed to a callback line by line, with the line the record starts on and
// its raw text (a reject keeps both). Nothing is collected per chunk, so a row's garbage dies
// young. A line without a quote character is split at its commas, in place (rowSources.ts): that
// is every line of a TLC file, and csv-parse's full state machine costs 7 µs a row (about 17 µs
// with the line numbers and raw text we need), more than the whole budget of a 1M-row load. Lines
// with quotes go to csv-parse, which applies RFC 4180 (quoted commas, doubled quotes, line breaks
// in a field).
import { parse as parseCsv } from 'csv-parse/sync';
import { CsvLine, ValuesRow, type RowSource } from './rowSources.js';

export interface RecordProblem {
  reasonCode: string;
  reason: string;
}

/**
 * One record: the line of the file where it starts (the first line is 1), its text as read
 * without the line break, its fields (null when it could not be split: see problem; valid only
 * during the call, the object is reused), and whether the file ended inside its last line (no
 * line break after it).
 */
export type RecordListener = (
  line: number,
  text: string,
  fields: RowSource | null,
  unterminated: boolean,
  problem: RecordProblem | null,
) => void;

// A quoted field may hold line breaks; one still open after this many lines or characters is
// taken to be a stray quote: its first line is rejected and reading resumes on the next line.
const QUOTED_MAX_LINES = 100;
const QUOTED_MAX_CHARS = 1 << 16;

/** Splits CSV text fed chunk by chunk. Blank lines are skipped. */
export class CsvRecordReader {
  private carry = '';
  private lineNumber = 0;
  private first = true;
  /** lines of a record whose quoted field is still open */
  private open: { line: string; number: number; last: boolean }[] = [];
  private openChars = 0;
  private readonly csvLine = new CsvLine();

  /** @param width the fields a row has (the header's), when known: see push() */
  constructor(private readonly width?: number) {}

  feed(chunk: string, onRecord: RecordListener): void {
    let text = this.carry + chunk;
    if (this.first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    let start = 0;
    let end: number;
    while ((end = text.indexOf('\n', start)) !== -1) {
      const line = end > start && text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      start = end + 1;
      this.push(line, ++this.lineNumber, false, onRecord);
    }
    this.carry = text.slice(start);
  }

  /** At the end of the text: its last line when no line break ends it, and any quote left open. */
  end(onRecord: RecordListener): void {
    const rest = this.carry;
    this.carry = '';
    if (rest !== '') this.push(rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++this.lineNumber, true, onRecord);
    this.close(onRecord);
  }

  /**
   * One line of the file, split by a reader of its own (byteRecords.ts): its text without the
   * line break, its number, and whether the file ends in it without a line break. Lines given
   * this way are numbered by the caller; feed and end are not used with it.
   */
  line(text: string, number: number, last: boolean, onRecord: RecordListener): void {
    this.push(text, number, last, onRecord);
  }

  /** a quoted field is open: the lines that come belong to its record, to be given to line() */
  get quoteOpen(): boolean {
    return this.open.length > 0;
  }

  /** After the last line given to line(): a quote left open is rejected, as end() does. */
  close(onRecord: RecordListener): void {
    while (this.open.length > 0) {
      this.giveUp(onRecord, {
        reasonCode: 'unclosed_quote',
        reason: 'a quoted field opens on this line and the file ends before it closes (the file looks cut short)',
      });
    }
  }

  private push(line: string, number: number, last: boolean, onRecord: RecordListener): void {
    if (this.open.length > 0) {
      this.open.push({ line, number, last });
      this.openChars += line.length + 1;
      const text = this.open.map((l) => l.line).join('\n');
      const parsed = parseQuoted(text);
      if (parsed === 'open') {
        if (this.open.length >= QUOTED_MAX_LINES || this.openChars > QUOTED_MAX_CHARS) {
          this.giveUp(onRecord, {
            reasonCode: 'unclosed_quote',
            reason: `a quoted field opens on this line and is not closed within ${QUOTED_MAX_LINES} lines`,
          });
        }
        return;
      }
      // A quote that spans lines and closes into something that is not a row (bad quoting, or
      // not the header's number of fields) was a stray quote paired with a later line's quote,
      // not a field with line breaks: rejecting the whole span would lose every valid line
      // inside it (20 rides and their count, issue 10). Reject the opening line; read the rest.
      if (!Array.isArray(parsed) || (this.width !== undefined && parsed.length !== this.width)) {
        const closing = this.open[this.open.length - 1].number;
        this.giveUp(onRecord, {
          reasonCode: 'stray_quote',
          reason: `a quoted field opens on this line and closes on line ${closing}, and what lies between is not one row: read as a stray quote; the lines after it are read on their own`,
        });
        return;
      }
      const start = this.open[0].number;
      this.open = [];
      emit(onRecord, start, text, parsed, last);
      return;
    }
    if (line === '') return;
    if (line.indexOf('"') === -1) {
      onRecord(number, line, this.csvLine.read(line), last, null);
      return;
    }
    const parsed = parseQuoted(line);
    if (parsed === 'open') {
      this.open = [{ line, number, last }];
      this.openChars = line.length;
      return;
    }
    emit(onRecord, number, line, parsed, last);
  }

  // Reject the line that opened the quote; the lines after it are read again as records.
  private giveUp(onRecord: RecordListener, problem: RecordProblem): void {
    const [opening, ...rest] = this.open;
    this.open = [];
    this.openChars = 0;
    onRecord(opening.number, opening.line, null, opening.last, problem);
    for (const l of rest) this.push(l.line, l.number, l.last, onRecord);
  }
}

type Parsed = string[] | 'open' | { reason: string };

function parseQuoted(text: string): Parsed {
  try {
    const records = parseCsv(text, { relax_column_count: true }) as string[][];
    if (records.length !== 1) return { reason: `bad quoting: the text holds ${records.length} records` };
    return records[0];
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') return 'open';
    return { reason: `bad quoting: ${(e.message ?? String(error)).replace(/ at line \d+/, '')}` };
  }
}

function emit(onRecord: RecordListener, line: number, text: string, parsed: string[] | { reason: string }, last: boolean): void {
  if (Array.isArray(parsed)) onRecord(line, text, new ValuesRow(parsed), last, null);
  else onRecord(line, text, null, last, { reasonCode: 'bad_quoting', reason: parsed.reason });
}
