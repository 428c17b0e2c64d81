import { Button, Card, Group, Modal, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, type Project } from '../api';
import { EmptyState, ErrorAlert, Loading, formatTime } from '../ui';

export function ProjectsPage() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api.get<Project[]>('/projects') });
  const [open, setOpen] = useState(false);
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Projects</Title>
        <Button onClick={() => setOpen(true)}>New project</Button>
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
