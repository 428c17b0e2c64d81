// Template views: the tabs of the templates list.
import type { View } from './api';

/** sortViews orders views by position, then title, then id. */
export function sortViews(views: readonly View[]): View[] {
  return [...views].sort((a, b) => a.position - b.position || a.title.localeCompare(b.title) || a.id - b.id);
}

/** inView keeps the templates of one tab: 'all', or a view id as a string. */
export function inView<T extends { view_id?: number | null }>(templates: readonly T[], tab: string, views: readonly View[]): T[] {
  if (tab === 'all') return [...templates];
  const id = Number(tab);
  // A template whose view no longer exists shows only under "All".
  if (!views.some((v) => v.id === id)) return [...templates];
  return templates.filter((t) => t.view_id === id);
}

/** nextPosition is the position of a view added after all others. */
export function nextPosition(views: readonly View[]): number {
  return views.reduce((m, v) => Math.max(m, v.position), -1) + 1;
}

/** swapPositions returns the updates that move view i one place by dir, in sorted order. */
export function moveView(sorted: readonly View[], i: number, dir: -1 | 1): View[] {
  const j = i + dir;
  if (j < 0 || j >= sorted.length) return [];
  // Renumber everything so that equal positions cannot keep the order stuck.
  const order = sorted.map((v) => v.id);
  [order[i], order[j]] = [order[j], order[i]];
  return order
    .map((id, pos) => ({ ...sorted.find((v) => v.id === id)!, position: pos }))
    .filter((v) => sorted.find((s) => s.id === v.id)!.position !== v.position);
}
