import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { api, finished, type Task, type Template } from '../api';
import { EmptyState, ErrorAlert, Loading, StatusBadge, formatDuration, formatTime, useProjectId } from '../ui';
import { useProjectList } from './Resources';

const LIMIT = 50;

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
      <Title order={2}>Task history</Title>
      <ErrorAlert error={tasks.error} />
      {tasks.isPending ? <Loading /> : all.length === 0 ? (
        <EmptyState title="No tasks have run yet"
          action={<Button component={Link} to={`/project/${pid}/templates`}>Go to templates</Button>}>
          Tasks appear here when you run a template. Set up a repository, an inventory and a template, then press Run.
        </EmptyState>
      ) : (
        <>
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
