import { describe, expect, it } from 'vitest';
import { BinaryCopyWriter, binaryCopyRowStarts, NUMBER_FLOAT8, NUMBER_INT2, parseBinaryCopy, parseBinaryCopyRows, textAt } from '../../src/storage/binaryCopy.js';

describe('binary COPY format', () => {
  it('round-trips text, bool, float4, float8 and NULLs', () => {
    const writer = new BinaryCopyWriter(4, 16); // tiny initial buffer: growth is exercised
    const rows: [string | null, boolean | null, number | null, number | null][] = [];
    for (let i = 0; i < 500; i++) {
      rows.push([i % 7 === 0 ? null : `id-${i}-ü`, i % 5 === 0 ? null : i % 2 === 0, i % 3 === 0 ? null : i / 8, i % 4 === 0 ? null : -i * 1.1]);
    }
    for (const [a, b, c, d] of rows) writer.beginRow().text(a).bool(b).float4(c).float8(d);
    const table = parseBinaryCopy(writer.finish(), ['text', 'bool', 'float4', 'float8']);
    expect(table.rowCount).toBe(500);
    rows.forEach(([a, b, c, d], i) => {
      expect(textAt(table, 0, i)).toBe(a);
      expect(table.columns[1].flags![i]).toBe(b === null ? -1 : b ? 1 : 0);
      if (c === null) expect(table.columns[2].numbers![i]).toBeNaN();
      else expect(table.columns[2].numbers![i]).toBe(Math.fround(c));
      if (d === null) expect(table.columns[3].numbers![i]).toBeNaN();
      else expect(table.columns[3].numbers![i]).toBe(d);
    });
  });

  it('rejects what is not binary COPY, and a row of the wrong width', () => {
    expect(() => parseBinaryCopy(Buffer.from('ride_id,distance\n1,2\n'), ['text'])).toThrow(/signature/);
    const writer = new BinaryCopyWriter(2);
    writer.beginRow().text('a').float8(1);
    expect(() => parseBinaryCopy(writer.finish(), ['text'])).toThrow(/2 fields, expected 1/);
  });

  it('writes int2 and float8 fields given together (numbers) as it writes them one by one, NULL for NaN', () => {
    const kinds = new Uint8Array([NUMBER_INT2, NUMBER_FLOAT8, NUMBER_INT2, NUMBER_FLOAT8]);
    const rows = Array.from({ length: 300 }, (_, i) => [i % 5 === 0 ? null : i - 150, i % 3 === 0 ? null : (i - 100) / 7, i % 7 === 0 ? null : -i, i === 1 ? -0 : i * 1e10]);
    const together = new BinaryCopyWriter(4, 16);
    const oneByOne = new BinaryCopyWriter(4, 16);
    for (const row of rows) {
      together.beginRow().numbers(kinds, Float64Array.from(row, (v) => v ?? NaN));
      oneByOne.beginRow().int2(row[0]).float8(row[1]).int2(row[2]).float8(row[3]);
    }
    expect(Buffer.compare(together.finish(), oneByOne.finish())).toBe(0);
    const table = parseBinaryCopy(together.finish(), ['int2', 'float8', 'int2', 'float8']);
    expect(table.rowCount).toBe(300);
    expect(table.columns[0].numbers![0]).toBeNaN();
    expect(table.columns[1].numbers![2]).toBe((2 - 100) / 7);
    expect(Object.is(table.columns[3].numbers![1], -0)).toBe(true);
  });

  it('leaves rows out by runs: pieces that are views of its own buffer, no row copied', () => {
    const writer = new BinaryCopyWriter(1, 16);
    for (let i = 0; i < 100; i++) writer.beginRow().float8(i);
    const odd = parseBinaryCopy(Buffer.concat(writer.pieces((i) => i % 2 === 1)), ['float8']);
    expect(Array.from(odd.columns[0].numbers!)).toEqual(Array.from({ length: 50 }, (_, k) => 2 * k + 1));
    const runs = writer.pieces((i) => i < 10 || (i >= 40 && i < 45) || i === 99);
    // the header, three runs, the trailer
    expect(runs.length).toBe(5);
    for (const piece of runs) expect(piece.buffer).toBe(writer.bytesSoFar.buffer);
    const kept = parseBinaryCopy(Buffer.concat(runs), ['float8']);
    expect(Array.from(kept.columns[0].numbers!)).toEqual([...Array.from({ length: 10 }, (_, k) => k), 40, 41, 42, 43, 44, 99]);
    expect(parseBinaryCopy(Buffer.concat(writer.pieces(() => false)), ['float8']).rowCount).toBe(0);
    expect(parseBinaryCopy(writer.finish(), ['float8']).rowCount).toBe(100);
  });

  it('parses rows in an order of its own: the same fields as parsing in stream order, rearranged', () => {
    const writer = new BinaryCopyWriter(3, 16);
    for (let i = 0; i < 300; i++) writer.beginRow().text(i % 9 === 0 ? null : `r${i}${'z'.repeat(i % 13)}`).float8(i % 4 === 0 ? null : i * 0.5).bool(i % 3 === 0);
    const data = writer.finish();
    const types = ['text', 'float8', 'bool'] as const;
    const inOrder = parseBinaryCopy(data, [...types]);
    const starts = binaryCopyRowStarts(data, 3);
    expect(starts.length).toBe(300);
    const order = Array.from({ length: 300 }, (_, k) => (k * 7) % 300); // 7 is prime to 300: a permutation
    const rearranged = parseBinaryCopyRows(data, [...types], Uint32Array.from(order, (i) => starts[i]));
    expect(rearranged.rowCount).toBe(300);
    order.forEach((i, k) => {
      expect(textAt(rearranged, 0, k)).toBe(textAt(inOrder, 0, i));
      expect(rearranged.columns[1].numbers![k]).toBe(inOrder.columns[1].numbers![i]);
      expect(rearranged.columns[2].flags![k]).toBe(inOrder.columns[2].flags![i]);
    });
    expect(binaryCopyRowStarts(Buffer.alloc(0), 3).length).toBe(0);
    expect(() => binaryCopyRowStarts(data, 2)).toThrow(/row 0 has 3 fields, expected 2/);
  });
});
