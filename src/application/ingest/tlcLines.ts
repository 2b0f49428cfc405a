// A TLC CSV line decoded straight from the file's bytes (the parse worker's byte path, with
// byteRecords.ts): one pass over the line that finds its commas and decodes each value as it ends,
// into the row validator's ride, with no string for the line or its values. In CPU profiles of
// the worker over 1M TLC rows, the string path's text decoding, line and field splitting and
// decoding took ~3.1 s of 7.7 s profiled; this, ~1.1 s of 4.8 (docs/performance.md, "the load's
// reader on bytes").
// It takes only what it decodes exactly as the string path does (the arithmetic of numberIn's and
// timeIn's fast paths in fieldDecoders.ts, the same doubles). Given a quote anywhere, a value in
// any other form, a field count other than the header's, or a row the validator does not accept,
// it declines the line, which the string path then reads, for the same ride or the same reject.
import type { ColumnLayout } from './formats.js';
import { plainTimeIn, POW10 } from './fieldDecoders.js';
import { fieldCode, FLAG, KIND_CODES, MONEY, NUMBER, TIMESTAMP, WHOLE, type RowValidator } from './rowSchemas.js';
import type { LoadedRide } from './types.js';

const SMALLINT_MIN = -32768;
const SMALLINT_MAX = 32767;
// per position of the file: what to decode there (SKIP: a column the format does not read)
const SKIP = -1;

export class TlcLineDecoder {
  /** per position of the file's rows: the kind code of its column, or SKIP */
  private readonly kinds: Int8Array;
  /** per position: the field code (RowValidator.set) */
  private readonly fields: Int8Array;
  /** per position: 1 when an empty value rejects the row */
  private readonly required: Uint8Array;
  private readonly width: number;

  private constructor(
    layout: ColumnLayout,
    private readonly validator: RowValidator,
  ) {
    this.width = layout.width;
    this.kinds = new Int8Array(layout.width).fill(SKIP);
    this.fields = new Int8Array(layout.width);
    this.required = new Uint8Array(layout.width);
    layout.columns.forEach((column, i) => {
      const position = layout.positions[i];
      if (position < 0) return;
      this.kinds[position] = KIND_CODES[column.kind];
      this.fields[position] = fieldCode(column.field);
      this.required[position] = column.valueRequired === true ? 1 : 0;
    });
  }

  /**
   * The decoder for a file of this layout, or null when the layout is not one it reads: a TLC
   * format (no text columns), every column at a position of its own, every column a row must have
   * present in the file (else the string path rejects each row, for its reason).
   */
  static for(layout: ColumnLayout, validator: RowValidator): TlcLineDecoder | null {
    if (layout.format !== 'tlc-yellow' && layout.format !== 'tlc-green') return null;
    const kinds = new Set([TIMESTAMP, NUMBER, MONEY, WHOLE, FLAG]);
    const used = new Set<number>();
    for (let i = 0; i < layout.columns.length; i++) {
      const column = layout.columns[i];
      const position = layout.positions[i];
      if (!kinds.has(KIND_CODES[column.kind])) return null;
      if (position < 0) {
        if (column.valueRequired) return null;
        continue;
      }
      if (position >= layout.width || used.has(position)) return null;
      used.add(position);
    }
    return new TlcLineDecoder(layout, validator);
  }

  /** The ride of bytes[start, end), a line without its line break (valid until the next call), or null to leave it to the string path. */
  decode(bytes: Uint8Array, start: number, end: number): LoadedRide | null {
    const validator = this.validator;
    const kinds = this.kinds;
    const ride = validator.begin();
    const width = this.width;
    let i = start;
    for (let position = 0; ; position++) {
      if (position >= width) return null;
      const kind = kinds[position];
      const field = this.fields[position];
      if (i === end || bytes[i] === 44) {
        // an empty value
        if (kind !== SKIP) {
          if (this.required[position] === 1) return null;
          validator.set(field, null);
        }
      } else if (kind === TIMESTAMP) {
        // 19 bytes, whose every byte plainTimeIn checks (so no comma or quote among them): not
        // scanned for the value's end first, which cost ~0.1 µs a row
        const to = i + 19;
        if (to > end || (to < end && bytes[to] !== 44)) return null;
        const ms = plainTimeIn(bytes, i, to);
        if (ms !== ms) return null;
        validator.set(field, ms);
        i = to;
      } else if (kind === FLAG) {
        const f = bytes[i];
        if (i + 1 < end && bytes[i + 1] !== 44) return null;
        if (f === 89) validator.set(field, 'Y');
        else if (f === 78) validator.set(field, 'N');
        else return null;
        i++;
      } else {
        // One pass over the value: its end (a comma or the line's), and on the way what numberIn's
        // fast path computes of it (fieldDecoders.ts: the same steps, so the same double; a second
        // pass over each number cost ~0.1 µs a row).
        let negative = false;
        if (bytes[i] === 45) {
          negative = true;
          i++;
        }
        let mantissa = 0;
        let digitCount = 0;
        let decimals = -1;
        let plain = true;
        for (; i < end; i++) {
          const c = bytes[i];
          if (c >= 48 && c <= 57) {
            mantissa = mantissa * 10 + (c - 48);
            digitCount++;
            if (decimals >= 0) decimals++;
          } else if (c === 44) {
            break;
          } else if (c === 46 && decimals < 0) {
            decimals = 0;
          } else if (c === 34) {
            return null; // a quote: csv-parse's to split
          } else {
            plain = false;
          }
        }
        if (kind !== SKIP) {
          if (!plain || digitCount === 0 || digitCount > 15) return null;
          const magnitude = decimals > 0 ? mantissa / POW10[decimals] : mantissa;
          const n = negative ? -magnitude : magnitude;
          if (kind === WHOLE && !(Number.isInteger(n) && n >= SMALLINT_MIN && n <= SMALLINT_MAX)) return null;
          validator.set(field, n);
        }
      }
      if (i >= end) {
        if (position + 1 !== width) return null;
        break;
      }
      i++; // the comma
    }
    return validator.complete() ? ride : null;
  }
}
