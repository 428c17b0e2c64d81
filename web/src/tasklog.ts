// useTaskLog keeps a task's log: loaded page by page from
// GET …/tasks/{id}/output, then followed live over the WebSocket /api/ws.
//
// WebSocket log messages carry no sequence number, so the hook subscribes
// first, buffers what arrives, reads the stored lines, and then joins the
// two at their overlap (mergeOverlap). Lines are gapless from seq 1, so the
// number of lines held is the offset to read on from after a reconnect.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, finished, type OutputLine, type TaskStatus } from './api';

export interface LogLine { time: string; output: string }

export const PAGE = 2000;

const sameLine = (a: LogLine, b: LogLine) =>
  a.output === b.output && Math.floor(Date.parse(a.time)) === Math.floor(Date.parse(b.time));

/**
 * mergeOverlap returns the lines of live that are not already at the end of
 * stored: live starts somewhere at or after the start of the stored lines'
 * tail, and the longest suffix of stored that is a prefix of live is dropped.
 */
export function mergeOverlap(stored: LogLine[], live: LogLine[]): LogLine[] {
  for (let j = Math.min(stored.length, live.length); j > 0; j--) {
    let ok = true;
    for (let i = 0; i < j; i++) {
      if (!sameLine(stored[stored.length - j + i], live[i])) { ok = false; break; }
    }
    if (ok) return live.slice(j);
  }
  return live;
}

export interface UpdateMessage { type: 'update'; status: TaskStatus; start: string | null; end: string | null; task_id: number }
interface LogMessage { type: 'log'; output: string; time: string; task_id: number }

export function wsURL(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/ws`;
}

export function useTaskLog(pid: number, taskId: number, live: boolean, onUpdate: (m: UpdateMessage) => void) {
  const lines = useRef<LogLine[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [connected, setConnected] = useState(false);
  const pendingRef = useRef<LogLine[]>([]);
  const catchingUp = useRef(true);
  // doneRef is set once the task has ended: from then on everything is stored.
  const doneRef = useRef(!live);
  const onUpdateRef = useRef(onUpdate);
  onUpdateRef.current = onUpdate;

  const bump = useCallback(() => setVersion((v) => v + 1), []);

  // readStored appends every stored line after the ones held.
  const readStored = useCallback(async (isCancelled: () => boolean) => {
    const out: LogLine[] = [];
    for (;;) {
      const page = await api.get<OutputLine[]>(`/project/${pid}/tasks/${taskId}/output?offset=${lines.current.length + out.length}&limit=${PAGE}`);
      if (isCancelled()) return null;
      for (const l of page) out.push({ time: l.time, output: l.output });
      if (page.length < PAGE) return out;
      // Show big logs as they load.
      lines.current.push(...out.splice(0));
      bump();
    }
  }, [pid, taskId, bump]);

  useEffect(() => {
    lines.current = [];
    setVersion(0);
    setLoading(true);
    setError(null);
    let cancelled = false;
    const isCancelled = () => cancelled;
    let ws: WebSocket | null = null;
    let buffer: LogLine[] | null = [];
    pendingRef.current = [];
    catchingUp.current = true;
    let frame = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;

    const flush = () => {
      frame = 0;
      const pending = pendingRef.current;
      if (pending.length) { lines.current.push(...pending); pendingRef.current = []; bump(); }
    };
    // catchUp reads the stored lines while the socket's lines wait in the
    // buffer, until the first buffered line has been stored too: then every
    // line before it is stored (the writer keeps order), and the buffer joins
    // the stored lines without a gap. A task that has ended has stored all.
    const catchUp = async () => {
      try {
        for (;;) {
          const stored = await readStored(isCancelled);
          if (stored === null) return;
          if (stored.length) { lines.current.push(...stored); bump(); }
          setLoading(false);
          const b = buffer ?? [];
          if (b.length > 0) {
            // Lines are stored only after they are published, so the stored
            // lines past the subscription are a prefix of the buffer.
            const tail = lines.current.slice(-b.length);
            const rest = mergeOverlap(tail, b);
            if (rest.length < b.length) { lines.current.push(...rest); break; }
          } else if (!live || doneRef.current) {
            break;
          }
          await new Promise((r) => setTimeout(r, 250));
          if (cancelled) return;
        }
        buffer = null;
        catchingUp.current = false;
        setLoading(false);
        bump();
      } catch (e) {
        if (!cancelled) { setError(e instanceof Error ? e.message : String(e)); setLoading(false); }
      }
    };
    const connect = () => {
      buffer = [];
      catchingUp.current = true;
      ws = new WebSocket(wsURL());
      ws.onopen = () => { setConnected(true); void catchUp(); };
      ws.onmessage = (ev) => {
        let m: LogMessage | UpdateMessage;
        try { m = JSON.parse(ev.data); } catch { return; }
        if (m.task_id !== taskId) return;
        if (m.type === 'log') {
          const l = { time: m.time, output: m.output };
          if (buffer) buffer.push(l);
          else { pendingRef.current.push(l); if (!frame) frame = requestAnimationFrame(flush); }
        } else if (m.type === 'update') {
          if (finished(m.status)) doneRef.current = true;
          onUpdateRef.current(m);
        }
      };
      ws.onclose = () => {
        setConnected(false);
        if (cancelled) return;
        flush();
        // Reconnect and read on from the stored lines.
        retry = setTimeout(connect, 1000);
      };
    };
    if (live) connect();
    else void catchUp();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      if (frame) cancelAnimationFrame(frame);
      if (ws) { ws.onclose = null; ws.close(); }
    };
  }, [pid, taskId, live, readStored, bump]);

  // finish reads whatever was stored but not seen live (call when the task ends).
  const finish = useCallback(async () => {
    if (catchingUp.current) return; // the catch-up under way reads them
    if (pendingRef.current.length) { lines.current.push(...pendingRef.current); pendingRef.current = []; }
    const more = await readStored(() => false).catch(() => null);
    if (more?.length) { lines.current.push(...more); bump(); }
  }, [readStored, bump]);

  return { lines: lines.current, version, loading, error, connected, finish };
}

export { finished };
