import { describe, expect, it } from 'vitest';
import { formatTable } from '../../../src/application/cli/format/table.js';

describe('formatTable', () => {
  it('pads text left and numbers right, to the widest cell', () => {
    const text = formatTable(['day', 'rides', 'state'], [['2021-01-01', '22,775', 'scored'], ['2021-01-02', '1', 'no rides']]);
    expect(text.split('\n')).toEqual([
      'day          rides  state',
      '----------  ------  --------',
      '2021-01-01  22,775  scored',
      '2021-01-02       1  no rides',
    ]);
  });

  it('prints a quarter of a million rows without overflowing the stack', () => {
    const rows = Array.from({ length: 250_000 }, (_, i) => [String(i), 'x'.repeat(i % 7)]);
    const text = formatTable(['n', 'text'], rows);
    expect(text.split('\n')).toHaveLength(250_002);
    expect(text.split('\n')[1]).toBe('------  ------');
  });
});
