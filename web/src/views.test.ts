import { describe, expect, it } from 'vitest';
import type { View } from './api';
import { inView, moveView, nextPosition, sortViews } from './views';

const v = (id: number, title: string, position: number): View => ({ id, project_id: 1, title, position });
const views = [v(1, 'Deploy', 2), v(2, 'Build', 0), v(3, 'Ops', 1)];
const ts = [{ id: 1, view_id: 1 }, { id: 2, view_id: 2 }, { id: 3 }, { id: 4, view_id: 1 }];

describe('views', () => {
  it('sorts by position', () => {
    expect(sortViews(views).map((x) => x.id)).toEqual([2, 3, 1]);
  });
  it('picks the templates of a tab', () => {
    expect(inView(ts, 'all', views).map((t) => t.id)).toEqual([1, 2, 3, 4]);
    expect(inView(ts, '1', views).map((t) => t.id)).toEqual([1, 4]);
    expect(inView(ts, '3', views)).toEqual([]);
    expect(inView(ts, '99', views).length).toBe(4);
  });
  it('adds after the last position', () => {
    expect(nextPosition(views)).toBe(3);
    expect(nextPosition([])).toBe(0);
  });
  it('moves a view and renumbers only what changed', () => {
    const sorted = sortViews(views); // Build(0) Ops(1) Deploy(2)
    expect(moveView(sorted, 2, -1)).toEqual([v(1, 'Deploy', 1), v(3, 'Ops', 2)]);
    expect(moveView(sorted, 0, -1)).toEqual([]);
    const tied = [v(1, 'A', 0), v(2, 'B', 0)];
    expect(moveView(tied, 0, 1)).toEqual([v(1, 'A', 1)]);
  });
});
