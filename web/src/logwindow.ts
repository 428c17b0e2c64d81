// The geometry of the task log's scroll box: which rows to draw, and where.
//
// Rows have one fixed height. Browsers cap an element's height (Firefox near
// 17.9 million pixels, Chromium near 33.5 million), and a log of a million
// 20-pixel rows is taller than that; so the scroll area is at most
// MAX_HEIGHT, and a longer list moves in proportion: the view keeps its own
// position in list pixels ("top"), and the scroll bar stands for it.

/** MAX_HEIGHT is the tallest scroll area made, in pixels. */
export const MAX_HEIGHT = 8_000_000;

export interface Geometry {
  /** rows is how many rows the list has. */
  rows: number;
  /** row is a row's height in pixels. */
  row: number;
  /** view is the scroll box's visible height in pixels. */
  view: number;
}

/** areaHeight is the height of the scroll area. */
export function areaHeight(g: Geometry): number {
  return Math.min(g.rows * g.row, MAX_HEIGHT);
}

/** maxTop is the list position at which the last row is at the bottom. */
export function maxTop(g: Geometry): number {
  return Math.max(0, g.rows * g.row - g.view);
}

/** scale is how many list pixels one pixel of scrolling moves (1 unless the list is taller than MAX_HEIGHT). */
export function scale(g: Geometry): number {
  const span = areaHeight(g) - g.view;
  return g.rows * g.row > MAX_HEIGHT && span > 0 ? maxTop(g) / span : 1;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/** clampTop keeps a list position within the list. */
export function clampTop(g: Geometry, top: number): number {
  return clamp(top, 0, maxTop(g));
}

/** toScroll is the scrollTop that stands for list position top. */
export function toScroll(g: Geometry, top: number): number {
  return clampTop(g, top) / scale(g);
}

/** fromScroll is the list position that scrollTop stands for. */
export function fromScroll(g: Geometry, scrollTop: number): number {
  return clampTop(g, scrollTop * scale(g));
}

/** visibleRows returns the rows [first, last) to draw at list position top, with overscan rows either side. */
export function visibleRows(g: Geometry, top: number, overscan: number): [number, number] {
  if (g.rows === 0) return [0, 0];
  const first = Math.max(0, Math.floor(top / g.row) - overscan);
  const last = Math.min(g.rows, Math.ceil((top + Math.max(g.view, g.row)) / g.row) + overscan);
  return [first, last];
}

/** rowOffset is where row i goes in the scroll area when the box, scrolled to scrollTop, shows list position top. */
export function rowOffset(g: Geometry, i: number, top: number, scrollTop: number): number {
  return scrollTop + i * g.row - top;
}

/** topFor is the list position that shows row i at the start, the centre or the end of the view. */
export function topFor(g: Geometry, i: number, align: 'start' | 'center' | 'end'): number {
  const y = i * g.row;
  if (align === 'start') return clampTop(g, y);
  if (align === 'end') return clampTop(g, y + g.row - g.view);
  return clampTop(g, y + g.row / 2 - g.view / 2);
}
