// One task: status, times, live log (virtualised), stop buttons.
import { ActionIcon, Alert, Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, finished, type Task, type Template } from '../api';
import { parseAnsi, type Style } from '../ansi';
import { matchingLines, splitMatches, step } from '../logsearch';
import { useTaskLog, type LogLine, type UpdateMessage } from '../tasklog';
import { ErrorAlert, Loading, StatusBadge, formatDuration, formatTime, useProjectId } from '../ui';

export function TaskPage() {
  const pid = useProjectId();
  const taskId = Number(useParams().taskId);
  const task = useQuery({ queryKey: ['project', pid, 'task', taskId], queryFn: () => api.get<Task>(`/project/${pid}/tasks/${taskId}`) });
  if (!task.data) return task.error ? <ErrorAlert error={task.error} /> : <Loading />;
  return <TaskView key={taskId} pid={pid} initial={task.data} />;
}

function TaskView({ pid, initial }: { pid: number; initial: Task }) {
  const qc = useQueryClient();
  const key = ['project', pid, 'task', initial.id];
  const task = useQuery({ queryKey: key, queryFn: () => api.get<Task>(`/project/${pid}/tasks/${initial.id}`), initialData: initial }).data;
  const template = useQuery({
    queryKey: ['project', pid, 'templates', task.template_id],
    queryFn: () => api.get<Template>(`/project/${pid}/templates/${task.template_id}`),
  });
  // Follow the WebSocket only if the task was not over when the page opened.
  const [live] = useState(() => !finished(initial.status));
  const log = useTaskLog(pid, task.id, live, (m: UpdateMessage) => {
    qc.setQueryData<Task>(key, (t) => (t ? { ...t, status: m.status, start: m.start ?? t.start, end: m.end ?? t.end } : t));
    if (finished(m.status)) {
      void log.finish();
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: ['project', pid, 'tasks'] });
    }
  });
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (finished(task.status)) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [task.status]);
  const stop = useMutation({
    mutationFn: (force: boolean) => api.post(`/project/${pid}/tasks/${task.id}/stop`, { force }),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
  const decide = useMutation({
    mutationFn: (approve: boolean) => api.post(`/project/${pid}/tasks/${task.id}/${approve ? 'confirm' : 'reject'}`, {}),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
  const over = finished(task.status);
  const asking = task.status === 'waiting_confirmation';
  return (
    <Stack maw={1400} h="calc(100vh - 56px - 2 * var(--mantine-spacing-md))">
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>Task #{task.id}</Title>
          <StatusBadge status={task.status} />
          {template.data && <Anchor component={Link} to={`/project/${pid}/templates/${task.template_id}`}>{template.data.name}</Anchor>}
        </Group>
        <Group gap="xs">
          <Button variant="default" component="a" href={`/api/project/${pid}/tasks/${task.id}/raw_output`} download={`task-${task.id}.log`}>Download log</Button>
          <Button color="orange" variant="light" disabled={over} loading={stop.isPending && stop.variables === false} onClick={() => stop.mutate(false)}>Stop</Button>
          <Button color="red" variant="light" disabled={over} loading={stop.isPending && stop.variables === true} onClick={() => stop.mutate(true)}>Force stop</Button>
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Info label="Started">{formatTime(task.start)}</Info>
        <Info label="Ended">{formatTime(task.end)}</Info>
        <Info label="Duration">{formatDuration(task.start, task.end, now)}</Info>
        <Info label="Exit code">{task.exit_code ?? '—'}{task.attempt > 1 ? ` (attempt ${task.attempt})` : ''}</Info>
      </SimpleGrid>
      {task.message && <Text size="sm" c="dimmed">{task.message}</Text>}
      {asking && (
        <Alert color="violet" title="This task waits for your approval">
          <Stack gap="xs">
            {task.summary && <Summary summary={task.summary} />}
            <Group gap="xs">
              <Button color="green" loading={decide.isPending && decide.variables === true} onClick={() => decide.mutate(true)}>Confirm</Button>
              <Button color="grape" variant="light" loading={decide.isPending && decide.variables === false} onClick={() => decide.mutate(false)}>Reject</Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {!asking && task.summary && <Summary summary={task.summary} />}
      <ErrorAlert error={decide.error} title="Could not send the decision" />
      <ErrorAlert error={stop.error} title="Could not stop the task" />
      {log.error && <ErrorAlert error={log.error} title="Could not load the output" />}
      <LogView lines={log.lines} version={log.version} loading={log.loading} live={live && !over} connected={log.connected} />
    </Stack>
  );
}

function Info({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="xs">
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm" fw={500}>{children}</Text>
    </Paper>
  );
}

const ROW = 20;

function LogView({ lines, version, loading, live, connected }: { lines: LogLine[]; version: number; loading: boolean; live: boolean; connected: boolean }) {
  const parent = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const query = useDeferredValue(search);
  const [current, setCurrent] = useState(-1);
  const count = lines.length;
  const v = useVirtualizer({ count, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 30 });
  // lines grows in place: version and count say when it changed.
  const matches = useMemo(() => matchingLines(lines, query), [lines, query, version, count]);
  const currentLine = current >= 0 && current < matches.length ? matches[current] : -1;
  const jump = (i: number) => {
    if (i < 0 || i >= matches.length) return;
    setCurrent(i);
    setFollow(false);
    v.scrollToIndex(matches[i], { align: 'center' });
  };
  // A new query starts at its first match.
  useEffect(() => {
    if (!query) { setCurrent(-1); return; }
    const first = matchingLines(lines, query);
    if (first.length) { setCurrent(0); setFollow(false); v.scrollToIndex(first[0], { align: 'center' }); } else setCurrent(-1);
    // (only when the query changes, not as lines arrive)
  }, [query]);
  useEffect(() => {
    if (follow && count > 0) v.scrollToIndex(count - 1, { align: 'end' });
  }, [follow, count, version, v]);
  const onScroll = () => {
    const el = parent.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (!atBottom && follow) setFollow(false);
    else if (atBottom && !follow && !query) setFollow(true);
  };
  return (
    <Stack gap={4} style={{ flex: 1, minHeight: 240 }}>
      <Group justify="space-between">
        <Text size="sm" c="dimmed" data-testid="log-count">
          {count} line{count === 1 ? '' : 's'}{loading ? ' — loading…' : ''}{live ? (connected ? ' — live' : ' — connecting…') : ''}
        </Text>
        <Group gap="xs">
          <TextInput size="xs" w={220} placeholder="Search the log" aria-label="Search the log" type="search" value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') { e.preventDefault(); jump(step(current, matches.length, e.shiftKey ? -1 : 1)); }
              if (e.key === 'Escape') setSearch('');
            }} />
          {query && (
            <Text size="xs" c="dimmed" data-testid="log-matches" miw={70}>
              {matches.length ? `${current + 1} of ${matches.length}` : 'no match'}
            </Text>
          )}
          <ActionIcon variant="default" aria-label="Previous match" disabled={!matches.length} onClick={() => jump(step(current, matches.length, -1))}>↑</ActionIcon>
          <ActionIcon variant="default" aria-label="Next match" disabled={!matches.length} onClick={() => jump(step(current, matches.length, 1))}>↓</ActionIcon>
          <Switch size="sm" label="Follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
        </Group>
      </Group>
      <div ref={parent} className="log" onScroll={onScroll} role="log" aria-label="Task output"
        style={{ flex: 1, overflow: 'auto', minHeight: 200 }}>
        {count === 0 && !loading ? <div className="log-line" style={{ color: '#888', paddingTop: 8 }}>{live ? 'Waiting for output…' : 'No output.'}</div> : null}
        <div style={{ height: v.getTotalSize(), position: 'relative', minWidth: '100%', width: 'max-content' }}>
          {v.getVirtualItems().map((item) => (
            <div key={item.index} style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW, transform: `translateY(${item.start}px)` }}>
              <Line line={lines[item.index]} query={query} current={item.index === currentLine} />
            </div>
          ))}
        </div>
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

/** Summary shows what the executor reported, as labelled counts where it can. */
function Summary({ summary }: { summary: Record<string, unknown> }) {
  const counts = (summary.totals ?? summary) as Record<string, unknown>;
  const entries = Object.entries(counts).filter(([, v]) => typeof v === 'number');
  if (entries.length === 0) return null;
  return (
    <Group gap="xs" data-testid="task-summary">
      {entries.map(([k, v]) => (
        <Badge key={k} variant="outline" color="gray">{k}: {String(v)}</Badge>
      ))}
    </Group>
  );
}
