// The project's dashboard: charts of the last 30 days, and the task history.
import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { api, finished, type Task, type Template } from '../api';
import { DayTable, DurationChart, RunsChart } from '../Charts';
import { DAYS, dailyStats, firstDay } from '../stats';
import { EmptyState, ErrorAlert, Loading, StatusBadge, formatDuration, formatTime, useProjectId } from '../ui';
import { useProjectList } from './Resources';

const LIMIT = 50;
/** STATS_PAGE and STATS_PAGES bound what the charts read: the newest 5,000 tasks at most. */
const STATS_PAGE = 1000;
const STATS_PAGES = 5;

/** useRecentTasks reads the tasks of the last DAYS days for the charts, newest first. */
function useRecentTasks(pid: number) {
  return useQuery({
    queryKey: ['project', pid, 'tasks', 'recent'],
    staleTime: 30_000,
    queryFn: async () => {
      const since = firstDay().getTime();
      const out: Task[] = [];
      for (let i = 0, before = 0; i < STATS_PAGES; i++) {
        const page = await api.get<Task[]>(`/project/${pid}/tasks?limit=${STATS_PAGE}${before ? `&before_id=${before}` : ''}`);
        out.push(...page);
        if (page.length < STATS_PAGE || Date.parse(page[page.length - 1].created) < since) return { tasks: out, capped: false };
        before = page[page.length - 1].id;
      }
      return { tasks: out, capped: true };
    },
  });
}

function Dashboard({ pid, active }: { pid: number; active: boolean }) {
  const recent = useRecentTasks(pid);
  // Count a run in the charts once it has ended.
  const wasActive = useRef(active);
  useEffect(() => {
    if (wasActive.current && !active) void recent.refetch();
    wasActive.current = active;
  }, [active, recent]);
  if (!recent.data) return recent.error ? <ErrorAlert error={recent.error} title="Could not load the charts" /> : null;
  const days = dailyStats(recent.data.tasks);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="dashboard-title">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3} size="h4" id="dashboard-title">Last {DAYS} days</Title>
          {recent.data.capped && <Text size="xs" c="dimmed">from the newest {(STATS_PAGE * STATS_PAGES).toLocaleString()} tasks</Text>}
        </Group>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <RunsChart days={days} />
          <DurationChart days={days} />
        </SimpleGrid>
        <details>
          <summary><Text span size="sm">Show the figures as a table</Text></summary>
          <DayTable days={days} />
        </details>
      </Stack>
    </Paper>
  );
}

export function HistoryPage() {
  const pid = useProjectId();
  const templates = useProjectList<Template>(pid, 'templates');
  const tasks = useInfiniteQuery({
    queryKey: ['project', pid, 'tasks'],
    queryFn: ({ pageParam }) => api.get<Task[]>(`/project/${pid}/tasks?limit=${LIMIT}${pageParam ? `&before_id=${pageParam}` : ''}`),
    initialPageParam: 0,
    getNextPageParam: (last) => (last.length === LIMIT ? last[last.length - 1].id : undefined),
  });
  const all = tasks.data?.pages.flat() ?? [];
  const active = all.some((t) => !finished(t.status));
  // Refresh while something runs.
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => void tasks.refetch(), 3000);
    return () => clearInterval(t);
  }, [active, tasks]);
  const name = (id: number) => templates.data?.find((t) => t.id === id)?.name ?? `#${id}`;
  return (
    <Stack maw={1100}>
      <Title order={2}>Dashboard</Title>
      <ErrorAlert error={tasks.error} />
      {all.length > 0 && <Dashboard pid={pid} active={active} />}
      {tasks.isPending ? <Loading /> : all.length === 0 ? (
        <EmptyState title="No tasks have run yet"
          action={<Button component={Link} to={`/project/${pid}/templates`}>Go to templates</Button>}>
          Tasks appear here when you run a template. Set up a repository, an inventory and a template, then press Run.
        </EmptyState>
      ) : (
        <>
          <Title order={3} size="h4">Task history</Title>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr><Table.Th>Task</Table.Th><Table.Th>Status</Table.Th><Table.Th>Template</Table.Th><Table.Th>Started</Table.Th><Table.Th>Duration</Table.Th><Table.Th>Message</Table.Th></Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {all.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td><Anchor component={Link} to={`/project/${pid}/tasks/${t.id}`}>#{t.id}</Anchor></Table.Td>
                  <Table.Td><StatusBadge status={t.status} /></Table.Td>
                  <Table.Td>{name(t.template_id)}</Table.Td>
                  <Table.Td>{formatTime(t.start ?? t.created)}</Table.Td>
                  <Table.Td>{formatDuration(t.start, t.end)}</Table.Td>
                  <Table.Td><Text size="sm" lineClamp={1}>{t.message}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {tasks.hasNextPage && (
            <Group justify="center">
              <Button variant="default" loading={tasks.isFetchingNextPage} onClick={() => void tasks.fetchNextPage()}>Load older tasks</Button>
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}
