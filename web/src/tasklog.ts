// A task's log as the task view holds it: how many lines there are, and a
// window of them, loaded a page at a time as they come into view.
//
// A log can have millions of lines, so the view never loads it whole. On
// opening, findEnd learns how many lines are stored with a few one-line
// probes and reads the last page; every other page is read when it is
// scrolled to (useTaskLog's ensure), and the least recently used pages are
// dropped past MAX_PAGES. A running task's new lines come over the
// WebSocket /api/ws with their seq (line n has seq n, gapless from 1), so
// each lands in its place; a line missed while the socket was away is a
// hole that is read like any page not seen yet.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, finished, type OutputLine, type TaskStatus } from './api';
import { matchingLines } from './logsearch';

export interface LogLine { time: string; output: string }

/** PAGE is how many lines one request reads. */
export const PAGE = 1000;
/** MAX_PAGES is how many pages are held at most (the visible ones are always kept). */
export const MAX_PAGES = 64;

/** Fetch reads up to limit stored lines after the first offset ones (GET …/output?offset=&limit=). */
export type Fetch = (offset: number, limit: number) => Promise<OutputLine[]>;

interface Page { lines: (LogLine | undefined)[]; filled: number }

/** LogLines holds some pages of a log and knows how many lines it has. */
export class LogLines {
  /** total is how many lines the log has, as far as is known. */
  total = 0;
  // Page index → page; the Map's order is the order of use (least recent first).
  private pages = new Map<number, Page>();
  private waiters: (() => void)[] = [];

  /** get returns line i (from 0), or undefined if it is not held. */
  get(i: number): LogLine | undefined {
    return this.pages.get(Math.floor(i / PAGE))?.lines[i % PAGE];
  }

  /** put holds lines read from the API or the socket, each at its seq. */
  put(lines: readonly { seq: number; time: string; output: string }[]) {
    for (const l of lines) {
      if (!(l.seq >= 1)) continue;
      const i = l.seq - 1;
      const p = Math.floor(i / PAGE);
      let page = this.pages.get(p);
      if (!page) { page = { lines: new Array(PAGE), filled: 0 }; this.pages.set(p, page); }
      if (page.lines[i % PAGE] === undefined) page.filled++;
      page.lines[i % PAGE] = { time: l.time, output: l.output };
      if (l.seq > this.total) this.total = l.seq;
    }
    if (lines.length) this.wake();
  }

  /** complete says whether page p holds all of its lines below total. */
  complete(p: number): boolean {
    const want = Math.min(PAGE, this.total - p * PAGE);
    return want <= 0 || (this.pages.get(p)?.filled ?? 0) >= want;
  }

  /** missing lists the pages of lines [from, to) that lack a line. */
  missing(from: number, to: number): number[] {
    const out: number[] = [];
    const end = Math.min(to, this.total);
    for (let p = Math.floor(Math.max(0, from) / PAGE); p * PAGE < end; p++) {
      if (!this.complete(p)) out.push(p);
    }
    return out;
  }

  /** touch marks the pages of lines [from, to) as just used. */
  touch(from: number, to: number) {
    for (let p = Math.floor(Math.max(0, from) / PAGE); p * PAGE < to; p++) {
      const page = this.pages.get(p);
      if (page) { this.pages.delete(p); this.pages.set(p, page); }
    }
  }

  /** trim drops the least recently used pages past max, but none of keep. */
  trim(keep: ReadonlySet<number>, max = MAX_PAGES) {
    if (this.pages.size <= max) return;
    for (const p of [...this.pages.keys()]) {
      if (this.pages.size <= max) break;
      if (!keep.has(p)) this.pages.delete(p);
    }
  }

  /** held is how many pages are held. */
  get held(): number {
    return this.pages.size;
  }

  /** changed resolves at the next change of the lines or of total. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/**
 * findEnd reads the last page of the stored log, knowing that at least known
 * lines are stored. It probes the first line of pages further on, doubling
 * the stride until a page is empty, then halves the gap: about 2·log2(pages)
 * one-line requests, and one for the page itself.
 */
export async function findEnd(fetch: Fetch, known: number): Promise<OutputLine[]> {
  const has = async (p: number) => (await fetch(p * PAGE, 1)).length > 0;
  // lo: a page that has a line (or -1); hi: a page that has none.
  let lo = known > 0 ? Math.floor((known - 1) / PAGE) : -1;
  let stride = 1;
  let hi = lo + stride;
  while (await has(hi)) {
    lo = hi;
    stride *= 2;
    hi = lo + stride;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await has(mid)) lo = mid;
    else hi = mid;
  }
  return lo < 0 ? [] : fetch(lo * PAGE, PAGE);
}

export interface UpdateMessage { type: 'update'; status: TaskStatus; start: string | null; end: string | null; task_id: number }
interface LogMessage { type: 'log'; output: string; time: string; task_id: number; seq?: number }

export function wsURL(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/ws`;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * useTaskLog follows a task's log. live: the task was not over when the page
 * opened, so its new lines come over the WebSocket. onUpdate gets the task's
 * status changes; onConnect runs whenever the socket (re)connects, when the
 * status may have changed unseen. The view calls ensure with the lines it
 * shows, and finish when the task has ended.
 */
export function useTaskLog(pid: number, taskId: number, live: boolean, onUpdate: (m: UpdateMessage) => void, onConnect?: () => void) {
  const log = useMemo(() => new LogLines(), [pid, taskId]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [connected, setConnected] = useState(false);
  const onUpdateRef = useRef(onUpdate);
  onUpdateRef.current = onUpdate;
  const onConnectRef = useRef(onConnect);
  onConnectRef.current = onConnect;
  const fetchLines = useCallback<Fetch>(
    (offset, limit) => api.get<OutputLine[]>(`/project/${pid}/tasks/${taskId}/output?offset=${offset}&limit=${limit}`),
    [pid, taskId]);

  // The lines in view, and the pages being read or waiting to be read again.
  const view = useRef({ from: 0, to: 0 });
  const busy = useRef(new Set<number>());
  const retryAt = useRef(new Map<number, number>());
  const retryTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const frame = useRef(0);

  const keep = useCallback(() => {
    const s = new Set<number>();
    for (let p = Math.floor(view.current.from / PAGE); p * PAGE < view.current.to; p++) s.add(p);
    if (log.total > 0) s.add(Math.floor((log.total - 1) / PAGE));
    return s;
  }, [log]);

  // bump re-renders once per frame, however many lines arrived.
  const bump = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      log.trim(keep());
      setVersion((v) => v + 1);
    });
  }, [log, keep]);

  // pump reads the missing pages in view, two requests at a time. A page
  // still missing lines after a read (lines published but not yet stored)
  // is read again a second later.
  const pump = useCallback(() => {
    const { from, to } = view.current;
    let wait = Infinity;
    for (const p of log.missing(from, to)) {
      if (busy.current.size >= 2) break;
      if (busy.current.has(p)) continue;
      const at = retryAt.current.get(p) ?? 0;
      if (at > Date.now()) { wait = Math.min(wait, at - Date.now()); continue; }
      busy.current.add(p);
      fetchLines(p * PAGE, PAGE)
        .then((lines) => {
          setError(null);
          log.put(lines);
          if (log.complete(p)) retryAt.current.delete(p);
          else retryAt.current.set(p, Date.now() + 1000);
          bump();
        })
        .catch((e) => { retryAt.current.set(p, Date.now() + 5000); setError(message(e)); })
        .finally(() => { busy.current.delete(p); pump(); });
    }
    if (wait < Infinity && !retryTimer.current) {
      retryTimer.current = setTimeout(() => { retryTimer.current = undefined; pump(); }, wait);
    }
  }, [log, fetchLines, bump]);

  /** ensure says which lines [from, to) are in view: missing ones are read. */
  const ensure = useCallback((from: number, to: number) => {
    view.current = { from, to };
    log.touch(from, to);
    pump();
  }, [log, pump]);

  // sync learns how many lines are stored and reads the last page.
  const sync = useCallback(async () => {
    const lines = await findEnd(fetchLines, log.total);
    log.put(lines);
    bump();
  }, [log, fetchLines, bump]);

  useEffect(() => {
    let cancelled = false;
    let ws: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    setError(null);
    const syncNow = () => sync()
      .then(() => { if (!cancelled) { setLoading(false); pump(); } })
      .catch((e) => { if (!cancelled) { setError(message(e)); setLoading(false); } });
    const connect = () => {
      ws = new WebSocket(wsURL());
      ws.onopen = () => {
        setConnected(true);
        // Lines stored before the socket listened are read from the API.
        void syncNow();
        onConnectRef.current?.();
      };
      ws.onmessage = (ev) => {
        let m: LogMessage | UpdateMessage;
        try { m = JSON.parse(ev.data); } catch { return; }
        if (m.task_id !== taskId) return;
        if (m.type === 'log') {
          log.put([{ seq: typeof m.seq === 'number' ? m.seq : log.total + 1, time: m.time, output: m.output }]);
          bump();
        } else if (m.type === 'update') {
          onUpdateRef.current(m);
        }
      };
      ws.onclose = () => {
        setConnected(false);
        if (cancelled) return;
        // Reconnect; lines missed meanwhile are holes that load when seen.
        retry = setTimeout(connect, 1000);
      };
    };
    // Read the stored lines at once (even if the socket cannot connect), and
    // again whenever it connects.
    void syncNow();
    if (live) connect();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      clearTimeout(retryTimer.current);
      retryTimer.current = undefined;
      if (frame.current) { cancelAnimationFrame(frame.current); frame.current = 0; }
      if (ws) { ws.onclose = null; ws.close(); }
    };
  }, [log, taskId, live, sync, pump, bump]);

  /** finish reads what was stored but not seen live (call when the task ends). */
  const finish = useCallback(async () => {
    await sync().catch(() => {});
    pump();
  }, [sync, pump]);

  return { log, total: log.total, version, loading, error, connected, ensure, finish, fetchLines };
}

/** SCAN is how many lines the search reads per request. */
export const SCAN = 5000;
/** MAX_MATCHES is where the search stops counting. */
export const MAX_MATCHES = 10000;

export interface SearchState {
  query: string; matches: number[]; scanned: number; capped: boolean;
  /** error says why the search stopped early. */
  error?: string;
}

/**
 * searchLog finds the lines that match query, reading the lines held and,
 * for the others, the stored log SCAN lines at a time (without holding them,
 * so that the view's pages stay). It reports after each step, and goes on
 * with lines that arrive until stop resolves.
 */
export async function searchLog(log: LogLines, fetch: Fetch, query: string, report: (s: SearchState) => void, stop: Promise<void>) {
  let stopped = false;
  void stop.then(() => { stopped = true; });
  const matches: number[] = [];
  let pos = 0;
  const publish = () => report({ query, matches: matches.slice(), scanned: pos, capped: matches.length >= MAX_MATCHES });
  while (!stopped && matches.length < MAX_MATCHES) {
    if (pos >= log.total) {
      publish();
      await Promise.race([log.changed(), stop]);
      continue;
    }
    const n = Math.min(SCAN, log.total - pos);
    const chunk: LogLine[] = [];
    let fetched: Map<number, OutputLine> | null = null;
    for (let i = pos; i < pos + n; i++) {
      let l = log.get(i);
      if (!l) {
        if (!fetched) {
          const read = await fetch(i, pos + n - i);
          if (stopped) return;
          fetched = new Map(read.map((r) => [r.seq - 1, r]));
        }
        l = log.get(i) ?? fetched.get(i);
      }
      if (!l) break; // not stored yet
      chunk.push(l);
    }
    for (const i of matchingLines(chunk, query)) {
      if (matches.length < MAX_MATCHES) matches.push(pos + i);
    }
    pos += chunk.length;
    publish();
    if (chunk.length === 0) await Promise.race([log.changed(), stop, new Promise((r) => setTimeout(r, 1000))]);
  }
}

/** useLogSearch runs searchLog for the current query. */
export function useLogSearch(log: LogLines, fetch: Fetch, query: string): SearchState & { searching: boolean } {
  const [state, setState] = useState<SearchState>({ query: '', matches: [], scanned: 0, capped: false });
  useEffect(() => {
    if (!query) { setState({ query: '', matches: [], scanned: 0, capped: false }); return; }
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => { stop = resolve; });
    searchLog(log, fetch, query, setState, stopped)
      .catch((e) => setState((s) => ({ ...s, query, error: message(e) })));
    return stop;
  }, [log, fetch, query]);
  const current = state.query === query ? state : { query, matches: [], scanned: 0, capped: false };
  return { ...current, searching: !!query && !current.capped && !current.error && current.scanned < log.total };
}

export { finished };
