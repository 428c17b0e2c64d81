import { Button, Group, Modal, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, type Project } from '../api';
import { ErrorAlert, Loading, useProjectId } from '../ui';
import { backupFileName, saveJSON } from '../download';

export function SettingsPage() {
  const pid = useProjectId();
  const project = useQuery({ queryKey: ['project', pid], queryFn: () => api.get<Project>(`/project/${pid}`) });
  if (!project.data) return project.error ? <ErrorAlert error={project.error} /> : <Loading />;
  return <Settings key={pid} project={project.data} />;
}

function Settings({ project }: { project: Project }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState(project.name);
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const save = useMutation({
    mutationFn: () => api.put(`/project/${project.id}`, { ...project, name }),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['projects'] }); void qc.invalidateQueries({ queryKey: ['project', project.id] }); },
  });
  const del = useMutation({
    mutationFn: () => api.del(`/project/${project.id}`),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['projects'] }); navigate('/'); },
  });
  const backup = useMutation({
    mutationFn: () => api.get<unknown>(`/project/${project.id}/backup`),
    onSuccess: (doc) => saveJSON(doc, backupFileName(project.name)),
  });
  return (
    <Stack maw={700}>
      <Title order={2}>Project settings</Title>
      <Paper withBorder p="lg">
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
          <Stack>
            <TextInput label="Project name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <ErrorAlert error={save.error} title="Could not save" />
            <Group justify="flex-end"><Button type="submit" loading={save.isPending}>{save.isSuccess ? 'Saved' : 'Save'}</Button></Group>
          </Stack>
        </form>
      </Paper>
      <Paper withBorder p="lg">
        <Stack>
          <Title order={4}>Backup</Title>
          <Text size="sm">Download the project's configuration (keys, repositories, inventories, environments, views, templates,
            schedules and integrations) as one JSON file. It holds no secrets: after a restore, set the keys' and secrets' values again.
            Restore it from the projects page.</Text>
          <ErrorAlert error={backup.error} title="Could not download the backup" />
          <Group><Button variant="default" loading={backup.isPending} onClick={() => backup.mutate()}>Download backup</Button></Group>
        </Stack>
      </Paper>
      <Paper withBorder p="lg" style={{ borderColor: 'var(--mantine-color-red-6)' }}>
        <Stack>
          <Title order={4} c="red">Delete this project</Title>
          <Text size="sm">Deletes the project with its templates, tasks, keys and everything else in it. Only owners can, and not while tasks run.</Text>
          <Group><Button color="red" onClick={() => setConfirming(true)}>Delete project</Button></Group>
        </Stack>
      </Paper>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Delete project">
        <Stack>
          <Text size="sm">This cannot be undone. Type the project's name, <b>{project.name}</b>, to confirm.</Text>
          <TextInput label="Project name" data-autofocus value={typed} onChange={(e) => setTyped(e.currentTarget.value)} />
          <ErrorAlert error={del.error} title="Could not delete the project" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>Cancel</Button>
            <Button color="red" disabled={typed !== project.name} loading={del.isPending} onClick={() => del.mutate()}>Delete</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
