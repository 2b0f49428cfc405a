import { describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import {
  decodeFlag,
  decodeId,
  decodeNumber,
  decodeTime,
  decodeWhole,
  INVALID,
  timeFromText,
  type TimeKind,
} from '../../../src/application/ingest/fieldDecoders.js';
import { CsvRecordReader, type RecordProblem } from '../../../src/application/ingest/csvRecords.js';
import { CsvLine, ValuesRow, type RowSource } from '../../../src/application/ingest/rowSources.js';
import { SeededRandom } from '../../../src/compute/simulation/seededRandom.js';

describe('number decoding', () => {
  it('gives exactly what Number() gives for plain decimals (its fast path)', () => {
    const random = new SeededRandom(7);
    const mismatches: string[] = [];
    for (let k = 0; k < 200_000; k++) {
      const decimals = random.int(8);
      const whole = random.int(10 ** (1 + random.int(9)));
      const text = `${random.next() < 0.2 ? '-' : ''}${whole}${decimals > 0 ? `.${String(random.int(10 ** decimals)).padStart(decimals, '0')}` : ''}`;
      if (!Object.is(decodeNumber(text), Number(text))) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['2.10', 2.1],
    ['.20', 0.2],
    ['-3', -3],
    ['+4', 4],
    ['1e3', 1000],
    ['3.', 3],
    ['', null],
  ])('reads %j as %j', (text, value) => {
    expect(decodeNumber(text)).toBe(value);
  });

  it.each(['0x1A', '0b1', ' 12', '12 ', 'abc', '1.2.3', 'Infinity', '1e999', '-', '.', 'NaN'])('rejects %j', (text) => {
    expect(decodeNumber(text)).toBe(INVALID);
  });

  it('takes Parquet values as they come', () => {
    expect(decodeNumber(2.5)).toBe(2.5);
    expect(decodeNumber(7n)).toBe(7);
    expect(decodeNumber(null)).toBeNull();
    expect(decodeNumber(Number.NaN)).toBe(INVALID);
  });

  it('whole numbers fit a smallint', () => {
    expect(decodeWhole('1.0')).toBe(1);
    expect(decodeWhole('265')).toBe(265);
    expect(decodeWhole('1.5')).toBe(INVALID);
    expect(decodeWhole('40000')).toBe(INVALID);
    expect(decodeWhole(3n)).toBe(3);
  });

  it('flags are Y, N or empty; ids have no control characters', () => {
    expect([decodeFlag('Y'), decodeFlag('N'), decodeFlag(''), decodeFlag('y')]).toEqual(['Y', 'N', null, INVALID]);
    expect(decodeId('r-1')).toBe('r-1');
    expect(decodeId('')).toBeNull();
    expect(decodeId('a\tb')).toBe(INVALID);
    expect(decodeId('x'.repeat(201))).toBe(INVALID);
  });
});

describe('time decoding', () => {
  const kind: TimeKind = { instant: false };
  const at = (text: string) => {
    const ms = timeFromText(text, kind);
    return ms === INVALID ? 'invalid' : { iso: new Date(ms).toISOString(), instant: kind.instant };
  };

  it('reads TLC wall-clock times and ISO 8601 with or without offset', () => {
    expect(at('2021-01-01 00:30:10')).toEqual({ iso: '2021-01-01T00:30:10.000Z', instant: false });
    expect(at('2021-01-01T00:30:10')).toEqual({ iso: '2021-01-01T00:30:10.000Z', instant: false });
    expect(at('2021-01-01T00:30')).toEqual({ iso: '2021-01-01T00:30:00.000Z', instant: false });
    expect(at('2021-01-01 00:30:10.250')).toEqual({ iso: '2021-01-01T00:30:10.250Z', instant: false });
    expect(at('2021-01-01T00:30:10Z')).toEqual({ iso: '2021-01-01T00:30:10.000Z', instant: true });
    expect(at('2021-01-01T00:30:10-05:00')).toEqual({ iso: '2021-01-01T05:30:10.000Z', instant: true });
    expect(at('2021-01-01T00:30:10+0530')).toEqual({ iso: '2020-12-31T19:00:10.000Z', instant: true });
    expect(at('2024-02-29 12:00:00')).toEqual({ iso: '2024-02-29T12:00:00.000Z', instant: false });
  });

  it.each(['2021-02-29 00:00:00', '2021-13-01 00:00:00', '2021-01-01 24:00:00', '2021-01-01 00:60:00', '2021-0', '01/02/2021 10:00', '2021-01-01', 'yesterday', '2021-01-01 10:00:00+25:00'])(
    'rejects %j',
    (text) => {
      expect(at(text)).toBe('invalid');
    },
  );

  it('takes Parquet times as ms, and UTC-adjusted ones as instants', () => {
    expect(decodeTime(1_609_459_200_000, kind)).toBe(1_609_459_200_000);
    expect(kind.instant).toBe(false);
    expect(decodeTime({ instantMs: 5 }, kind)).toBe(5);
    expect(kind.instant).toBe(true);
    expect(decodeTime(null, kind)).toBeNull();
  });
});

describe('CSV records', () => {
  type Seen = { line: number; text: string; fields: string[] | null; unterminated: boolean; problem: RecordProblem | null };
  const read = (...chunks: string[]): Seen[] => {
    const seen: Seen[] = [];
    const reader = new CsvRecordReader();
    const push = (line: number, text: string, fields: RowSource | null, unterminated: boolean, problem: RecordProblem | null) =>
      seen.push({ line, text, fields: fields && Array.from({ length: fields.width }, (_, i) => String(fields.raw(i))), unterminated, problem });
    for (const chunk of chunks) reader.feed(chunk, push);
    reader.end(push);
    return seen;
  };

  it('splits lines across chunks, with CRLF, a BOM and blank lines, keeping line numbers', () => {
    const seen = read('\uFEFFa,b\r\n1,', '2\r\n\r\n3,4\n', '5,6');
    expect(seen.map((s) => [s.line, s.fields, s.unterminated])).toEqual([
      [1, ['a', 'b'], false],
      [2, ['1', '2'], false],
      [4, ['3', '4'], false],
      [5, ['5', '6'], true],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks as csv-parse does', () => {
    const seen = read('id,note\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n4,x\n');
    expect(seen.map((s) => [s.line, s.fields])).toEqual([
      [1, ['id', 'note']],
      [2, ['1', 'a, b']],
      [3, ['2', 'say "hi"']],
      [4, ['3', 'two\nlines']],
      [6, ['4', 'x']],
    ]);
  });

  it('splits quote-free lines exactly as csv-parse does', () => {
    const random = new SeededRandom(11);
    const alphabet = 'ab1.-: é';
    for (let k = 0; k < 2000; k++) {
      const fields = Array.from({ length: 1 + random.int(20) }, () =>
        Array.from({ length: random.int(6) }, () => alphabet[random.int(alphabet.length)]).join(''),
      );
      const line = fields.join(',');
      if (line.trim() === '') continue;
      const [expected] = parseCsv(line, { relax_column_count: true }) as string[][];
      expect(read(`${line}\n`)[0].fields).toEqual(expected);
    }
  });

  it('decodes a line in place exactly as it decodes the same values split apart', () => {
    const line = '1,2021-01-01 00:30:10,,2.10,-0.5,N,Y,x,265,1.5,2021-02-30 00:00:00,0x1A,2021-01-01T00:30:10Z,, 3';
    const inPlace = new CsvLine().read(line);
    const split = new ValuesRow(line.split(','));
    const kindA: TimeKind = { instant: false };
    const kindB: TimeKind = { instant: false };
    expect(inPlace.width).toBe(split.width);
    for (let i = 0; i < split.width; i++) {
      expect([inPlace.raw(i), inPlace.number(i), inPlace.whole(i), inPlace.flag(i), inPlace.text(i)], `field ${i}`).toEqual([
        split.raw(i),
        split.number(i),
        split.whole(i),
        split.flag(i),
        split.text(i),
      ]);
      expect([inPlace.time(i, kindA), kindA.instant]).toEqual([split.time(i, kindB), kindB.instant]);
    }
  });

  it('rejects bad quoting and resumes on the next line', () => {
    const seen = read('1,ab"c,2\n"x"y,3\n4,5\n');
    expect(seen[0].problem?.reasonCode).toBe('bad_quoting');
    expect(seen[1].problem?.reasonCode).toBe('bad_quoting');
    expect(seen[2].fields).toEqual(['4', '5']);
  });

  it('rejects a quote never closed, and reads the lines after it again', () => {
    const lines = ['1,"open', ...Array.from({ length: 120 }, (_, i) => `${i},ok`)];
    const seen = read(`${lines.join('\n')}\n`);
    expect(seen[0]).toMatchObject({ line: 1, fields: null, problem: { reasonCode: 'unclosed_quote' } });
    expect(seen.length).toBe(121);
    expect(seen[120]).toMatchObject({ line: 121, fields: ['119', 'ok'] });
    const cut = read('a,b\n1,"the file stops here');
    expect(cut[1]).toMatchObject({ line: 2, problem: { reasonCode: 'unclosed_quote' } });
    expect(cut[1].problem!.reason).toMatch(/file ends before it closes/);
  });
});
