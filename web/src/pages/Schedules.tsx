import { ActionIcon, Button, Group, Modal, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Schedule, type Template } from '../api';
import { EmptyState, ErrorAlert, Loading, formatTime, useProjectId } from '../ui';
import { useProjectList } from './Resources';

export function SchedulesPage() {
  const pid = useProjectId();
  const qc = useQueryClient();
  const list = useProjectList<Schedule>(pid, 'schedules');
  const templates = useProjectList<Template>(pid, 'templates');
  const [open, setOpen] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['project', pid, 'schedules'] });
  const toggle = useMutation({ mutationFn: (s: Schedule) => api.put(`/project/${pid}/schedules/${s.id}`, { ...s, active: !s.active }), onSuccess: refresh });
  const del = useMutation({ mutationFn: (id: number) => api.del(`/project/${pid}/schedules/${id}`), onSuccess: refresh });
  const name = (id: number) => templates.data?.find((t) => t.id === id)?.name ?? `#${id}`;
  return (
    <Stack maw={1100}>
      <Group justify="space-between"><Title order={2}>Schedules</Title><Button onClick={() => setOpen(true)}>New schedule</Button></Group>
      <ErrorAlert error={list.error ?? toggle.error ?? del.error} />
      {list.isPending ? <Loading /> : list.data?.length === 0 ? (
        <EmptyState title="No schedules yet" action={<Button onClick={() => setOpen(true)}>New schedule</Button>}>
          A schedule runs a template on a cron timetable (such as “30 2 * * *”) or once at a given time.
        </EmptyState>
      ) : (
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Template</Table.Th><Table.Th>When</Table.Th><Table.Th>Active</Table.Th><Table.Th w={50} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data?.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>{s.name}</Table.Td><Table.Td>{name(s.template_id)}</Table.Td>
                <Table.Td><Text ff="monospace" size="sm">{s.type === 'run_at' ? `once at ${formatTime(s.run_at)}` : s.cron_format}</Text></Table.Td>
                <Table.Td><Switch aria-label={`Active: ${s.name}`} checked={s.active} onChange={() => toggle.mutate(s)} /></Table.Td>
                <Table.Td><ActionIcon variant="subtle" color="red" aria-label={`Delete ${s.name}`} onClick={() => window.confirm(`Delete schedule “${s.name}”?`) && del.mutate(s.id)}>✕</ActionIcon></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {open && <NewSchedule pid={pid} templates={templates.data ?? []} onClose={() => setOpen(false)} />}
    </Stack>
  );
}

function NewSchedule({ pid, templates, onClose }: { pid: number; templates: Template[]; onClose: () => void }) {
  const qc = useQueryClient();
  const [f, setF] = useState({ name: '', template_id: '', type: '', cron_format: '', run_at: '' });
  const set = (k: keyof typeof f, v: string) => setF((x) => ({ ...x, [k]: v }));
  const save = useMutation({
    mutationFn: () => api.post(`/project/${pid}/schedules`, {
      project_id: pid, name: f.name, template_id: Number(f.template_id), type: f.type, active: true,
      cron_format: f.type === '' ? f.cron_format : '', run_at: f.type === 'run_at' && f.run_at ? new Date(f.run_at).toISOString() : null,
    }),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['project', pid, 'schedules'] }); onClose(); },
  });
  return (
    <Modal opened onClose={onClose} title="New schedule">
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack>
          <TextInput label="Name" required data-autofocus value={f.name} onChange={(e) => set('name', e.currentTarget.value)} />
          <Select label="Template" required data={templates.map((t) => ({ value: String(t.id), label: t.name }))} value={f.template_id || null} onChange={(v) => set('template_id', v ?? '')} />
          <Select label="Kind" allowDeselect={false} data={[{ value: '', label: 'Repeat (cron)' }, { value: 'run_at', label: 'Once, at a time' }]} value={f.type} onChange={(v) => set('type', v ?? '')} />
          {f.type === '' ? (
            <TextInput label="Cron expression" required styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} placeholder="30 2 * * *" description="Five fields, six with seconds, or @daily / @every 90s; read in the server's time zone"
              value={f.cron_format} onChange={(e) => set('cron_format', e.currentTarget.value)} />
          ) : (
            <TextInput label="Run at" type="datetime-local" required value={f.run_at} onChange={(e) => set('run_at', e.currentTarget.value)} />
          )}
          <ErrorAlert error={save.error} title="Could not create the schedule" />
          <Group justify="flex-end"><Button variant="default" onClick={onClose}>Cancel</Button><Button type="submit" loading={save.isPending}>Create</Button></Group>
        </Stack>
      </form>
    </Modal>
  );
}
