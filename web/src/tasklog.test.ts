import { describe, expect, it } from 'vitest';
import type { OutputLine } from './api';
import { LogLines, MAX_MATCHES, PAGE, findEnd, searchLog, type Fetch, type SearchState } from './tasklog';

const line = (seq: number): OutputLine => ({ task_id: 1, seq, time: '2025-01-01T00:00:00Z', output: `line ${seq}` });

/** stored fakes GET …/output over a log of n lines, counting the requests. */
function stored(n: number) {
  const calls: { offset: number; limit: number }[] = [];
  const fetch: Fetch = async (offset, limit) => {
    calls.push({ offset, limit });
    const out: OutputLine[] = [];
    for (let s = offset + 1; s <= Math.min(n, offset + limit); s++) out.push(line(s));
    return out;
  };
  return { fetch, calls };
}

describe('findEnd', () => {
  for (const n of [0, 1, PAGE - 1, PAGE, PAGE + 1, 7 * PAGE + 3, 1_000_000]) {
    it(`reads the last page of a log of ${n} lines with few small requests`, async () => {
      const { fetch, calls } = stored(n);
      const last = await findEnd(fetch, 0);
      expect(last.length ? last[last.length - 1].seq : 0).toBe(n);
      expect(calls.length).toBeLessThan(2 * Math.log2(n / PAGE + 2) + 4);
      expect(calls.filter((c) => c.limit > 1).length).toBeLessThanOrEqual(1);
    });
  }
  it('starts from the lines already known', async () => {
    const { fetch, calls } = stored(5 * PAGE + 10);
    const last = await findEnd(fetch, 5 * PAGE + 2);
    expect(last[last.length - 1].seq).toBe(5 * PAGE + 10);
    expect(calls.length).toBe(2);
  });
});

describe('LogLines', () => {
  it('holds lines at their seq and knows the total', () => {
    const log = new LogLines();
    log.put([line(3), line(1)]);
    expect(log.total).toBe(3);
    expect(log.get(0)?.output).toBe('line 1');
    expect(log.get(1)).toBeUndefined();
    expect(log.missing(0, 3)).toEqual([0]);
    log.put([line(2)]);
    expect(log.missing(0, 3)).toEqual([]);
  });
  it('lists the pages in view that lack lines', () => {
    const log = new LogLines();
    log.put([line(3 * PAGE)]);
    expect(log.missing(0, 3 * PAGE)).toEqual([0, 1, 2]);
    expect(log.missing(PAGE + 5, PAGE + 10)).toEqual([1]);
    expect(log.missing(5 * PAGE, 6 * PAGE)).toEqual([]);
  });
  it('drops the least recently used pages, but not those kept', () => {
    const log = new LogLines();
    for (let p = 0; p < 10; p++) log.put([line(p * PAGE + 1)]);
    log.touch(0, 1);
    log.trim(new Set([9]), 3);
    expect(log.held).toBe(3);
    expect(log.get(0)).toBeDefined(); // touched last
    expect(log.get(9 * PAGE)).toBeDefined(); // kept
    expect(log.get(8 * PAGE)).toBeDefined(); // the newest of the rest
    expect(log.get(PAGE)).toBeUndefined();
    expect(log.total).toBe(9 * PAGE + 1);
  });
});

describe('searchLog', () => {
  const run = async (log: LogLines, fetch: Fetch, query: string) => {
    let last: SearchState | null = null;
    let stop = () => {};
    const stopped = new Promise<void>((r) => { stop = r; });
    const done = searchLog(log, fetch, query, (s) => {
      last = s;
      if (s.scanned >= log.total || s.capped) stop();
    }, stopped);
    await done;
    return last! as SearchState;
  };
  it('finds matches in held and stored lines, without holding the stored ones', async () => {
    const { fetch } = stored(12_000);
    const log = new LogLines();
    log.put([line(12_000)]);
    const s = await run(log, fetch, 'LINE 1199');
    expect(s.matches).toEqual([1198, 11989, 11990, 11991, 11992, 11993, 11994, 11995, 11996, 11997, 11998]);
    expect(log.held).toBe(1);
  });
  it('stops counting at MAX_MATCHES', async () => {
    const { fetch } = stored(MAX_MATCHES + 500);
    const log = new LogLines();
    log.put([line(MAX_MATCHES + 500)]);
    const s = await run(log, fetch, 'line');
    expect(s.matches.length).toBe(MAX_MATCHES);
    expect(s.capped).toBe(true);
  });
});
