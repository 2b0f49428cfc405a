import { describe, expect, it } from 'vitest';
import { BinaryCopyWriter, parseBinaryCopy, textAt } from '../../src/storage/binaryCopy.js';

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
});
