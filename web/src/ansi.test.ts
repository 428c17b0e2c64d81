import { describe, expect, it } from 'vitest';
import { parseAnsi, stripAnsi } from './ansi';

describe('parseAnsi', () => {
  it('returns plain text as one unstyled span', () => {
    expect(parseAnsi('hello world').spans).toEqual([{ text: 'hello world' }]);
  });
  it('colours text and resets', () => {
    expect(parseAnsi('\x1b[31mred\x1b[0m plain').spans).toEqual([
      { text: 'red', style: { color: '#cd3131' } },
      { text: ' plain' },
    ]);
  });
  it('combines bold, bright colours and backgrounds', () => {
    expect(parseAnsi('\x1b[1;92;44mok').spans).toEqual([{ text: 'ok', style: { bold: true, color: '#23d18b', background: '#2472c8' } }]);
  });
  it('understands 256 colours and truecolor', () => {
    expect(parseAnsi('\x1b[38;5;196mA\x1b[48;2;1;2;3mB').spans).toEqual([
      { text: 'A', style: { color: 'rgb(255, 0, 0)' } },
      { text: 'B', style: { color: 'rgb(255, 0, 0)', background: 'rgb(1, 2, 3)' } },
    ]);
  });
  it('drops other escape sequences such as cursor moves and titles', () => {
    expect(parseAnsi('a\x1b[2Kb\x1b]0;title\x07c').spans).toEqual([{ text: 'abc' }]);
  });
  it('treats an empty SGR as a reset and carries style across lines', () => {
    const first = parseAnsi('\x1b[33mwarn');
    expect(first.end).toEqual({ color: '#e5e510' });
    expect(parseAnsi('still\x1b[m done', first.end).spans).toEqual([
      { text: 'still', style: { color: '#e5e510' } },
      { text: ' done' },
    ]);
  });
  it('never renders markup: text stays text', () => {
    expect(parseAnsi('<b>x</b>').spans).toEqual([{ text: '<b>x</b>' }]);
  });
});

describe('stripAnsi', () => {
  it('removes escapes', () => {
    expect(stripAnsi('\x1b[1m\x1b[32mok\x1b[0m')).toBe('ok');
  });
});
