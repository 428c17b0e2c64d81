// The task log on screen: a scroll box that draws only the rows in view
// (logwindow.ts) of a log held a few pages at a time (tasklog.ts), with
// search, follow mode and keys (Home, End, Page Up/Down, arrows) that work
// however long the log is.
import { ActionIcon, Group, Stack, Switch, Text, TextInput } from '@mantine/core';
import { memo, useCallback, useDeferredValue, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { parseAnsi, type Style } from './ansi';
import { splitMatches, step } from './logsearch';
import { areaHeight, clampTop, fromScroll, maxTop, rowOffset, scale, toScroll, topFor, visibleRows, type Geometry } from './logwindow';
import { useLogSearch, type Fetch, type LogLine, type LogLines } from './tasklog';

/** ROW is a log row's height in pixels (app.css .log line-height). */
export const ROW = 20;
const OVERSCAN = 20;

interface Props {
  log: LogLines;
  total: number;
  loading: boolean;
  live: boolean;
  connected: boolean;
  ensure: (from: number, to: number) => void;
  fetchLines: Fetch;
}

export function LogView({ log, total, loading, live, connected, ensure, fetchLines }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [viewH, setViewH] = useState(0);
  const g: Geometry = { rows: total, row: ROW, view: viewH };
  const gRef = useRef(g);
  gRef.current = g;
  // The list position shown, and the scrollTop that stood for it when it was set.
  const [pos, setPos] = useState({ top: 0, st: 0 });
  const posRef = useRef(pos);
  const [follow, setFollow] = useState(true);
  const followRef = useRef(follow);
  followRef.current = follow;
  const [search, setSearch] = useState('');
  const query = useDeferredValue(search);
  const queryRef = useRef(query);
  queryRef.current = query;
  const found = useLogSearch(log, fetchLines, query);
  const matches = found.matches;
  const [current, setCurrent] = useState(-1);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setViewH(el.clientHeight);
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  /** goTo shows list position top. */
  const goTo = useCallback((top: number) => {
    const el = box.current;
    const t = clampTop(gRef.current, top);
    if (el) el.scrollTop = toScroll(gRef.current, t);
    const next = { top: t, st: el ? el.scrollTop : 0 };
    posRef.current = next;
    setPos(next);
  }, []);

  /** moved turns follow mode off when the user leaves the bottom, and on when they reach it. */
  const moved = useCallback((top: number) => {
    const atBottom = top >= maxTop(gRef.current) - ROW;
    if (!atBottom && followRef.current) setFollow(false);
    else if (atBottom && !followRef.current && !queryRef.current) setFollow(true);
  }, []);

  // Follow the end as lines arrive; otherwise keep the position as the list grows or the box resizes.
  useLayoutEffect(() => {
    goTo(follow ? maxTop(gRef.current) : posRef.current.top);
  }, [follow, total, viewH, goTo]);

  const onScroll = () => {
    const el = box.current;
    // A scroll that goTo made, or a sideways one.
    if (!el || Math.abs(el.scrollTop - posRef.current.st) < 1) return;
    const next = { top: fromScroll(gRef.current, el.scrollTop), st: el.scrollTop };
    posRef.current = next;
    setPos(next);
    moved(next.top);
  };

  // In a list taller than the scroll area, a wheel step would move several
  // times as far as usual: move the list by the step instead.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const gg = gRef.current;
      if (scale(gg) <= 1 || e.ctrlKey || e.deltaY === 0) return;
      e.preventDefault();
      const unit = e.deltaMode === 1 ? ROW : e.deltaMode === 2 ? gg.view : 1;
      el.scrollLeft += e.deltaX * unit;
      const to = clampTop(gg, posRef.current.top + e.deltaY * unit);
      goTo(to);
      moved(to);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [goTo, moved]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const gg = gRef.current;
    const top = posRef.current.top;
    const pageStep = Math.max(ROW, gg.view - ROW);
    const to = ({
      End: maxTop(gg), Home: 0, PageDown: top + pageStep, PageUp: top - pageStep, ArrowDown: top + ROW, ArrowUp: top - ROW,
    } as Record<string, number>)[e.key];
    if (to === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    goTo(to);
    moved(clampTop(gg, to));
  };

  const [first, last] = visibleRows(g, pos.top, OVERSCAN);
  useEffect(() => { ensure(first, last); }, [first, last, total, ensure]);

  const currentLine = current >= 0 && current < matches.length ? matches[current] : -1;
  const jump = (i: number) => {
    if (i < 0 || i >= matches.length) return;
    setCurrent(i);
    setFollow(false);
    goTo(topFor(gRef.current, matches[i], 'center'));
  };
  // A new query starts at its first match, as soon as the search finds it.
  const toFirst = useRef(false);
  useEffect(() => { toFirst.current = !!query; setCurrent(-1); }, [query]);
  useEffect(() => {
    if (toFirst.current && matches.length) { toFirst.current = false; jump(0); }
  });

  const rows = [];
  for (let i = first; i < last; i++) {
    const line = log.get(i);
    rows.push(
      <div key={i} style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${rowOffset(g, i, pos.top, pos.st)}px)` }}>
        {line ? <Line line={line} query={query} current={i === currentLine} /> : <div className="log-line log-pending" aria-hidden>…</div>}
      </div>,
    );
  }
  const count = `${total.toLocaleString()} line${total === 1 ? '' : 's'}`;
  return (
    <Stack gap={4} style={{ flex: 1, minHeight: 240 }}>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="log-count">
          {count}{loading ? ' — loading…' : ''}{live ? (connected ? ' — live' : ' — connecting…') : ''}
        </Text>
        <Group gap="xs">
          <TextInput size="xs" w={220} placeholder="Search the log" aria-label="Search the log" type="search" value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') { e.preventDefault(); jump(step(current, matches.length, e.shiftKey ? -1 : 1)); }
              if (e.key === 'Escape') setSearch('');
            }} />
          {query && (
            <Text size="xs" c="dimmed" data-testid="log-matches" miw={70} aria-live="polite">
              {matches.length ? `${current + 1} of ${matches.length}${found.capped ? '+' : ''}` : found.searching ? '' : 'no match'}
              {found.searching ? ' searching…' : ''}{found.error ? ` (search stopped: ${found.error})` : ''}
            </Text>
          )}
          <ActionIcon variant="default" aria-label="Previous match" disabled={!matches.length} onClick={() => jump(step(current, matches.length, -1))}>↑</ActionIcon>
          <ActionIcon variant="default" aria-label="Next match" disabled={!matches.length} onClick={() => jump(step(current, matches.length, 1))}>↓</ActionIcon>
          <Switch size="sm" label="Follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
        </Group>
      </Group>
      {/* Focusable, so that the keys scroll it; not announced line by line. */}
      <div ref={box} className="log" onScroll={onScroll} onKeyDown={onKeyDown} role="log" aria-label="Task output" aria-live="off"
        tabIndex={0} style={{ flex: 1, overflow: 'auto', minHeight: 200 }}>
        {total === 0 && !loading ? <div className="log-line" style={{ color: '#888', paddingTop: 8 }}>{live ? 'Waiting for output…' : 'No output.'}</div> : null}
        <div style={{ height: areaHeight(g), position: 'relative', minWidth: '100%', width: 'max-content' }}>{rows}</div>
      </div>
    </Stack>
  );
}

const css = (s?: Style): React.CSSProperties | undefined => s && {
  color: s.color, backgroundColor: s.background, fontWeight: s.bold ? 700 : undefined, opacity: s.dim ? 0.7 : undefined,
  fontStyle: s.italic ? 'italic' : undefined, textDecoration: s.underline ? 'underline' : undefined,
};

const Line = memo(function Line({ line, query, current }: { line: LogLine; query: string; current: boolean }) {
  const { spans } = parseAnsi(line.output);
  const t = new Date(line.time);
  return (
    <div className={current ? 'log-line log-current' : 'log-line'} data-current={current || undefined}>
      <span className="log-time">{isNaN(t.getTime()) ? '' : t.toLocaleTimeString()}</span>
      <span>{spans.map((s, i) => (
        <span key={i} style={css(s.style)}>
          {query ? splitMatches(s.text, query).map((m, j) => (m.match ? <mark key={j} className="log-match">{m.text}</mark> : m.text)) : s.text}
        </span>
      ))}</span>
    </div>
  );
});
