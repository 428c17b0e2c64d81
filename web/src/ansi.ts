// A tiny ANSI SGR → styled spans converter for task logs. It understands
// reset, bold, dim, italic, underline, the 8/16 colours, 256 colours and
// truecolor for foreground and background; other escape sequences are dropped.

export interface Span { text: string; style?: Style }
export interface Style {
  color?: string; background?: string; bold?: boolean; dim?: boolean; italic?: boolean; underline?: boolean;
}

const basic = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5'];
const bright = ['#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];

function color256(n: number): string | undefined {
  if (n < 0 || n > 255) return undefined;
  if (n < 8) return basic[n];
  if (n < 16) return bright[n - 8];
  if (n < 232) {
    const i = n - 16;
    const lv = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${lv(Math.floor(i / 36))}, ${lv(Math.floor(i / 6) % 6)}, ${lv(i % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g}, ${g}, ${g})`;
}

function apply(style: Style, codes: number[]): Style {
  const s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c === 0) {
      for (const k of Object.keys(s)) delete s[k as keyof Style];
    } else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) { delete s.bold; delete s.dim; }
    else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c >= 30 && c <= 37) s.color = basic[c - 30];
    else if (c === 39) delete s.color;
    else if (c >= 40 && c <= 47) s.background = basic[c - 40];
    else if (c === 49) delete s.background;
    else if (c >= 90 && c <= 97) s.color = bright[c - 90];
    else if (c >= 100 && c <= 107) s.background = bright[c - 100];
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'color' : 'background';
      if (codes[i + 1] === 5) {
        const v = color256(codes[i + 2]);
        if (v) s[key] = v;
        i += 2;
      } else if (codes[i + 1] === 2) {
        const [r, g, b] = codes.slice(i + 2, i + 5);
        if ([r, g, b].every((x) => x !== undefined && x >= 0 && x <= 255)) s[key] = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      }
    }
  }
  return s;
}

const empty = (s: Style) => Object.keys(s).length === 0;

// CSI sequences (ESC [ params final), OSC sequences (ESC ] ... BEL/ST), and other 2-byte escapes.
// eslint-disable-next-line no-control-regex
const escape = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g;

/** parseAnsi splits one line into spans; start is the style carried over from earlier lines. */
export function parseAnsi(input: string, start: Style = {}): { spans: Span[]; end: Style } {
  const spans: Span[] = [];
  let style = start;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const prev = spans[spans.length - 1];
    if (prev && JSON.stringify(prev.style ?? {}) === JSON.stringify(style)) prev.text += text;
    else spans.push(empty(style) ? { text } : { text, style: { ...style } });
  };
  for (const m of input.matchAll(escape)) {
    push(input.slice(last, m.index));
    last = m.index! + m[0].length;
    if (m[2] === 'm') {
      const codes = (m[1] || '0').split(';').map((x) => (x === '' ? 0 : Number(x)));
      style = apply(style, codes);
    }
  }
  push(input.slice(last));
  return { spans, end: style };
}

/** stripAnsi removes every escape sequence. */
export function stripAnsi(input: string): string {
  return input.replace(escape, '');
}
