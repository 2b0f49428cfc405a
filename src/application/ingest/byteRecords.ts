// CSV bytes → lines, for the parse worker's byte path (rideBatches.ts, tlcLines.ts): each line is
// offered as bytes to a taker that decodes it without making it a string; a line the taker does
// not take (a quote, a value outside its plain forms, a reject) is decoded as UTF-8 and given to
// the CsvRecordReader, which reads it exactly as when it splits the text itself. So rejects, their
// reasons and line numbers are the string path's. While a quoted field is open (a record spanning
// lines), every line goes to the CsvRecordReader. Blank lines go there too (it skips them).
// Splitting bytes at 0x0A and decoding each line alone gives the text the stream's UTF-8 decoder
// gives: in UTF-8 a byte 0x0A (or 0x0D, 0x22, 0x2C) is never part of another character.
import type { CsvRecordReader, RecordListener } from './csvRecords.js';

/** Takes a line's bytes, bytes[start, end) without the line break, if it can: true when it did. */
export type LineTaker = (bytes: Buffer, start: number, end: number) => boolean;

export class ByteRecordReader {
  /** the start of a line cut by the end of a read, in pieces (a very long line is joined once) */
  private carry: Buffer[] = [];
  private lineNumber = 0;

  constructor(
    private readonly records: CsvRecordReader,
    private readonly take: LineTaker,
  ) {}

  feed(chunk: Buffer, onRecord: RecordListener): void {
    let start = 0;
    if (this.carry.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.carry.push(chunk);
        return;
      }
      this.carry.push(chunk.subarray(0, nl));
      const line = Buffer.concat(this.carry);
      this.carry = [];
      this.line(line, 0, line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length, false, onRecord);
      start = nl + 1;
    }
    let end: number;
    while ((end = chunk.indexOf(10, start)) !== -1) {
      this.line(chunk, start, end > start && chunk[end - 1] === 13 ? end - 1 : end, false, onRecord);
      start = end + 1;
    }
    // a copy: the stream's chunk may share a pooled buffer
    if (start < chunk.length) this.carry.push(Buffer.from(chunk.subarray(start)));
  }

  /** At the end of the file: its last line when no line break ends it, and any quote left open. */
  end(onRecord: RecordListener): void {
    const rest = Buffer.concat(this.carry);
    this.carry = [];
    if (rest.length > 0) this.line(rest, 0, rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length, true, onRecord);
    this.records.close(onRecord);
  }

  private line(bytes: Buffer, start: number, end: number, last: boolean, onRecord: RecordListener): void {
    const number = ++this.lineNumber;
    // the byte order mark the text decoder would have left as U+FEFF, which CsvRecordReader drops
    if (number === 1 && end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    if (end > start && !this.records.quoteOpen && this.take(bytes, start, end)) return;
    this.records.line(bytes.toString('utf8', start, end), number, last, onRecord);
  }
}
