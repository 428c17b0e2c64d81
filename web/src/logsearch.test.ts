import { describe, expect, it } from 'vitest';
import { matchingLines, splitMatches, step } from './logsearch';

const lines = ['starting', '\x1b[32mOK\x1b[0m: step 1', 'Step 2', 'done'].map((output) => ({ output }));

describe('matchingLines', () => {
  it('finds lines case-insensitively, ignoring ANSI codes', () => {
    expect(matchingLines(lines, 'step')).toEqual([1, 2]);
    expect(matchingLines(lines, 'ok: s')).toEqual([1]);
    expect(matchingLines(lines, '32m')).toEqual([]);
  });
  it('matches nothing for an empty query', () => {
    expect(matchingLines(lines, '')).toEqual([]);
  });
});

describe('splitMatches', () => {
  it('splits text around every match, keeping the original case', () => {
    expect(splitMatches('Step 1, step 2', 'step')).toEqual([
      { text: 'Step', match: true }, { text: ' 1, ', match: false }, { text: 'step', match: true }, { text: ' 2', match: false },
    ]);
  });
  it('returns the text whole without a query or a match', () => {
    expect(splitMatches('abc', '')).toEqual([{ text: 'abc', match: false }]);
    expect(splitMatches('abc', 'x')).toEqual([{ text: 'abc', match: false }]);
    expect(splitMatches('', 'x')).toEqual([]);
  });
  it('does not overlap matches', () => {
    expect(splitMatches('aaa', 'aa')).toEqual([{ text: 'aa', match: true }, { text: 'a', match: false }]);
  });
});

describe('step', () => {
  it('wraps around both ways', () => {
    expect(step(-1, 3, 1)).toBe(0);
    expect(step(-1, 3, -1)).toBe(2);
    expect(step(2, 3, 1)).toBe(0);
    expect(step(0, 3, -1)).toBe(2);
    expect(step(0, 0, 1)).toBe(-1);
  });
});
