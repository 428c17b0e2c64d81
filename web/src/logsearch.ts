// Searching a task's log: which lines match, and where in a line's text.
// Matching is case-insensitive and on the text as shown (ANSI codes removed).
import { stripAnsi } from './ansi';

/** matchingLines returns the indexes of the lines whose visible text contains query. */
export function matchingLines(lines: readonly { output: string }[], query: string): number[] {
  const q = query.toLowerCase();
  if (!q) return [];
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (stripAnsi(lines[i].output).toLowerCase().includes(q)) out.push(i);
  }
  return out;
}

export interface Segment { text: string; match: boolean }

/** splitMatches cuts text into the runs that match query and those that do not. */
export function splitMatches(text: string, query: string): Segment[] {
  if (!query || !text) return text ? [{ text, match: false }] : [];
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  const out: Segment[] = [];
  let from = 0;
  for (;;) {
    const at = lower.indexOf(q, from);
    if (at < 0) break;
    if (at > from) out.push({ text: text.slice(from, at), match: false });
    out.push({ text: text.slice(at, at + q.length), match: true });
    from = at + q.length;
  }
  if (from < text.length) out.push({ text: text.slice(from), match: false });
  return out;
}

/** step moves the current match forward (+1) or back (-1), wrapping around. */
export function step(current: number, count: number, dir: 1 | -1): number {
  if (count === 0) return -1;
  if (current < 0) return dir === 1 ? 0 : count - 1;
  return (current + dir + count) % count;
}
