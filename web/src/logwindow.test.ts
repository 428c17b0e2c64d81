import { describe, expect, it } from 'vitest';
import { MAX_HEIGHT, areaHeight, fromScroll, maxTop, rowOffset, scale, toScroll, topFor, visibleRows } from './logwindow';

describe('logwindow', () => {
  it('is plain scrolling for a short list', () => {
    const g = { rows: 100, row: 20, view: 400 };
    expect(areaHeight(g)).toBe(2000);
    expect(scale(g)).toBe(1);
    expect(toScroll(g, 500)).toBe(500);
    expect(visibleRows(g, 500, 0)).toEqual([25, 45]);
    expect(rowOffset(g, 30, 500, 500)).toBe(600);
    expect(topFor(g, 99, 'end')).toBe(1600);
    expect(topFor(g, 0, 'center')).toBe(0);
  });
  it('scrolls a list taller than MAX_HEIGHT in proportion, reaching both ends', () => {
    const g = { rows: 1_000_000, row: 20, view: 600 };
    expect(areaHeight(g)).toBe(MAX_HEIGHT);
    expect(scale(g)).toBeGreaterThan(2);
    const bottom = MAX_HEIGHT - g.view;
    expect(toScroll(g, maxTop(g))).toBeCloseTo(bottom);
    expect(fromScroll(g, bottom)).toBeCloseTo(maxTop(g));
    const [first, last] = visibleRows(g, fromScroll(g, bottom), 0);
    expect(last).toBe(1_000_000);
    expect(last - first).toBe(30);
    // The last row sits at the bottom of the box, wherever the scroll bar is.
    expect(rowOffset(g, 999_999, maxTop(g), bottom) - bottom).toBe(g.view - g.row);
    expect(visibleRows(g, fromScroll(g, 0), 5)).toEqual([0, 35]);
  });
  it('draws nothing for an empty list', () => {
    expect(visibleRows({ rows: 0, row: 20, view: 400 }, 0, 10)).toEqual([0, 0]);
  });
});
