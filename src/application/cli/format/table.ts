// A plain-text table for the terminal: the first column left-aligned, numbers right-aligned.
// Widths are found with a loop, not by spreading a column into Math.max: a spread of ~125k cells
// overflowed the stack (`ridescan query` on a large result).
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h) => h.length);
  const numeric = header.map((_, i) => i > 0 && rows.length > 0);
  const NUMBER = /^(-?#?\d[\d,.]*)?$/;
  for (const row of rows) {
    for (let i = 0; i < header.length; i++) {
      const cell = row[i] ?? '';
      if (cell.length > widths[i]) widths[i] = cell.length;
      if (numeric[i] && !NUMBER.test(cell)) numeric[i] = false;
    }
  }
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
