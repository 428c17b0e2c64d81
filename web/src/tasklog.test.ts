import { describe, expect, it } from 'vitest';
import { mergeOverlap } from './tasklog';

const l = (n: number) => ({ time: `2025-01-01T00:00:0${n}Z`, output: `line ${n}` });

describe('mergeOverlap', () => {
  it('drops live lines that were already read', () => {
    expect(mergeOverlap([l(1), l(2), l(3)], [l(2), l(3), l(4)])).toEqual([l(4)]);
  });
  it('keeps every live line when none were read', () => {
    expect(mergeOverlap([l(1)], [l(2), l(3)])).toEqual([l(2), l(3)]);
    expect(mergeOverlap([], [l(1)])).toEqual([l(1)]);
  });
  it('returns nothing when the stored lines already hold all live ones', () => {
    expect(mergeOverlap([l(1), l(2), l(3)], [l(2), l(3)])).toEqual([]);
  });
  it('matches the whole overlap, not one repeated line', () => {
    const a = { time: '2025-01-01T00:00:00Z', output: '' };
    expect(mergeOverlap([l(1), a], [a, a, l(2)])).toEqual([a, l(2)]);
  });
});
