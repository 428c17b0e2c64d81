// One task: status, times, live log (LogView), stop buttons.
import { Alert, Anchor, Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, finished, type Task, type Template } from '../api';
import { LogView } from '../LogView';
import { useTaskLog, type UpdateMessage } from '../tasklog';
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
  // (polled while a running task's socket is away, which would bring its status)
  const [polling, setPolling] = useState(false);
  const task = useQuery({
    queryKey: key, queryFn: () => api.get<Task>(`/project/${pid}/tasks/${initial.id}`), initialData: initial,
    refetchInterval: polling ? 5000 : false,
  }).data;
  const template = useQuery({
    queryKey: ['project', pid, 'templates', task.template_id],
    queryFn: () => api.get<Template>(`/project/${pid}/templates/${task.template_id}`),
  });
  // Follow the WebSocket only if the task was not over when the page opened.
  const [live] = useState(() => !finished(initial.status));
  const log = useTaskLog(pid, task.id, live, (m: UpdateMessage) => {
    qc.setQueryData<Task>(key, (t) => (t ? { ...t, status: m.status, start: m.start ?? t.start, end: m.end ?? t.end } : t));
    if (finished(m.status)) {
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: ['project', pid, 'tasks'] });
    }
  }, () => void qc.invalidateQueries({ queryKey: key })); // (re)connected: the status may have changed unseen
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
  // Once the task is over, read the lines stored but not seen live.
  const { finish } = log;
  useEffect(() => { if (live && over) void finish(); }, [live, over, finish]);
  useEffect(() => setPolling(live && !over && !log.connected), [live, over, log.connected]);
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
      <LogView log={log.log} total={log.total} loading={log.loading} live={live && !over} connected={log.connected}
        ensure={log.ensure} fetchLines={log.fetchLines} />
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
