import { Button, Card, FileInput, Group, Modal, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Project } from '../api';
import { EmptyState, ErrorAlert, Loading, formatTime } from '../ui';
import { parseBackup } from '../download';

export function ProjectsPage() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api.get<Project[]>('/projects') });
  const [open, setOpen] = useState(false);
  const [restoring, setRestoring] = useState(false);
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Projects</Title>
        <Group gap="xs">
          <Button variant="default" onClick={() => setRestoring(true)}>Restore from backup</Button>
          <Button onClick={() => setOpen(true)}>New project</Button>
        </Group>
      </Group>
      <ErrorAlert error={projects.error} />
      {projects.isPending ? <Loading /> : projects.data?.length === 0 ? (
        <EmptyState title="No projects yet" action={<Button onClick={() => setOpen(true)}>Create your first project</Button>}>
          A project holds your repositories, inventories, environments, keys and the templates that run them.
          Create one to get started.
        </EmptyState>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
          {projects.data?.map((p) => (
            <Card key={p.id} withBorder component={Link} to={`/project/${p.id}/history`} padding="lg">
              <Text fw={600} size="lg">{p.name}</Text>
              <Text size="sm" c="dimmed">created {formatTime(p.created)}</Text>
            </Card>
          ))}
        </SimpleGrid>
      )}
      <NewProject opened={open} onClose={() => setOpen(false)} />
      {restoring && <RestoreProject onClose={() => setRestoring(false)} />}
    </Stack>
  );
}

function NewProject({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [name, setName] = useState('');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: () => api.post<Project>('/projects', { name }),
    onSuccess: (p) => {
      qc.invalidateQueries({ queryKey: ['projects'] });
      onClose();
      setName('');
      navigate(`/project/${p.id}/history`);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="New project">
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <Stack>
          <TextInput label="Name" required data-autofocus value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <ErrorAlert error={create.error} title="Could not create the project" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={create.isPending}>Create</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RestoreProject({ onClose }: { onClose: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const restore = useMutation({
    mutationFn: async () => api.post<Project>('/projects/restore', parseBackup(await file!.text())),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: ['projects'] });
      onClose();
      navigate(`/project/${p.id}/history`);
    },
  });
  return (
    <Modal opened onClose={onClose} title="Restore a project from a backup">
      <form onSubmit={(e) => { e.preventDefault(); if (file) restore.mutate(); }}>
        <Stack>
          <Text size="sm">Choose a backup downloaded from a project's settings (Signalbox's or Semaphore's). It becomes a new project that you own.
            Backups hold no secrets: set the keys' and secrets' values afterwards.</Text>
          <FileInput label="Backup file" required accept="application/json,.json" placeholder="Choose a .json file" clearable
            clearButtonProps={{ 'aria-label': 'Clear the chosen file' }}
            value={file} onChange={(f) => { setFile(f); restore.reset(); }} />
          <ErrorAlert error={restore.error} title="Could not restore the backup" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={restore.isPending} disabled={!file}>Restore</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
