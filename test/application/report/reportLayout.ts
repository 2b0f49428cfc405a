// What the report looks like in a browser at a given width: whether anything runs past the page,
// and whether every table is either fully visible or scrolls inside its own box.
import type { Page } from 'puppeteer-core';

export interface LayoutCheck {
  /** document scroll width and the viewport's client width */
  page: { scrollWidth: number; clientWidth: number };
  /** sections, tiles, the parameter list and drift notes whose right edge passes the viewport */
  overflowingBlocks: string[];
  /** tables not inside a horizontally scrolling box */
  unscrolledTables: string[];
  /** scroll boxes wider inside than out that do not scroll */
  clippedBoxes: string[];
  tables: number;
}

export async function checkLayout(page: Page, width: number): Promise<LayoutCheck> {
  await page.setViewport({ width, height: 900 });
  // the folded tables count too
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).split(' ')[0]}` : ''}${e.id ? `#${e.id}` : ''}`;
    const overflowingBlocks = [...document.querySelectorAll('main, section, .tile, dl.params, .note, figure, pre')]
      .filter((e) => e.getBoundingClientRect().right > viewport + 0.5)
      .map(name);
    const tables = [...document.querySelectorAll('table')];
    const unscrolledTables: string[] = [];
    const clippedBoxes: string[] = [];
    for (const table of tables) {
      const box = table.closest('.table-scroll');
      if (!box) {
        // a table outside a scroll box must fit the page on its own
        if (table.getBoundingClientRect().right > viewport + 0.5) unscrolledTables.push(name(table));
        continue;
      }
      const overflowX = getComputedStyle(box).overflowX;
      if (box.scrollWidth > box.clientWidth && overflowX !== 'auto' && overflowX !== 'scroll') clippedBoxes.push(name(table));
      if (box.getBoundingClientRect().right > viewport + 0.5) unscrolledTables.push(name(table));
    }
    return {
      page: { scrollWidth: document.documentElement.scrollWidth, clientWidth: viewport },
      overflowingBlocks,
      unscrolledTables,
      clippedBoxes,
      tables: tables.length,
    };
  });
}
