// Small shared pieces: error alert, empty state, status badge, time formats.
import { Alert, Badge, Center, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useParams } from 'react-router';
import type { TaskStatus } from './api';

export function ErrorAlert({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return <Alert color="red" title={title} role="alert" variant="light">{msg}</Alert>;
}

export function Loading() {
  return <Center p="xl"><Loader aria-label="Loading" /></Center>;
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="md">
      <Stack align="center" gap="xs">
        <Title order={4}>{title}</Title>
        {children && <Text c="dimmed" ta="center" maw={520}>{children}</Text>}
        {action}
      </Stack>
    </Paper>
  );
}

const statusColor: Record<TaskStatus, string> = {
  waiting: 'gray', starting: 'blue', running: 'blue', waiting_confirmation: 'violet', stopping: 'orange',
  success: 'green', error: 'red', stopped: 'yellow', rejected: 'grape',
};

export function StatusBadge({ status }: { status: TaskStatus }) {
  return <Badge color={statusColor[status] ?? 'gray'} variant="light" data-testid="task-status">{status}</Badge>;
}

export function formatTime(t: string | null | undefined): string {
  if (!t) return '—';
  const d = new Date(t);
  return isNaN(d.getTime()) ? '—' : d.toLocaleString();
}

export function formatDuration(start: string | null | undefined, end: string | null | undefined, now = Date.now()): string {
  if (!start) return '—';
  const s = new Date(start).getTime();
  const e = end ? new Date(end).getTime() : now;
  let secs = Math.max(0, Math.round((e - s) / 1000));
  const h = Math.floor(secs / 3600);
  secs -= h * 3600;
  const m = Math.floor(secs / 60);
  secs -= m * 60;
  if (h) return `${h}h ${m}m ${secs}s`;
  if (m) return `${m}m ${secs}s`;
  return `${secs}s`;
}

export function useProjectId(): number {
  const { pid } = useParams();
  return Number(pid);
}
