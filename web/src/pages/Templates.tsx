import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Repository, Template } from '../api';
import { EmptyState, ErrorAlert, Loading, useProjectId } from '../ui';
import { useProjectList } from './Resources';
import { RunDialog } from './Run';

export function TemplatesPage() {
  const pid = useProjectId();
  const templates = useProjectList<Template>(pid, 'templates');
  const repos = useProjectList<Repository>(pid, 'repositories');
  const [running, setRunning] = useState<Template | null>(null);
  const newButton = <Button component={Link} to={`/project/${pid}/templates/new`}>New template</Button>;
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Templates</Title>
        {newButton}
      </Group>
      <ErrorAlert error={templates.error} />
      {templates.isPending ? <Loading /> : templates.data?.length === 0 ? (
        repos.data?.length === 0 ? (
          <EmptyState title="No templates yet"
            action={<Button component={Link} to={`/project/${pid}/repositories`}>Add a repository</Button>}>
            A template says what to run (a playbook or script in a repository), where and how. Start by adding the
            repository that holds your scripts; an inventory and an environment are useful too.
          </EmptyState>
        ) : (
          <EmptyState title="No templates yet" action={newButton}>
            A template says what to run (a playbook or script in a repository), where and how. Create one, then run it.
          </EmptyState>
        )
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr><Table.Th>Name</Table.Th><Table.Th>App</Table.Th><Table.Th>Playbook / script</Table.Th><Table.Th w={160} /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {templates.data?.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td><Anchor component={Link} to={`/project/${pid}/templates/${t.id}`} fw={500}>{t.name}</Anchor>
                  {t.description && <Text size="xs" c="dimmed">{t.description}</Text>}</Table.Td>
                <Table.Td>{t.app}</Table.Td>
                <Table.Td><Text ff="monospace" size="sm">{t.playbook}</Text></Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="default" component={Link} to={`/project/${pid}/templates/${t.id}`}>Edit</Button>
                    <Button size="xs" onClick={() => setRunning(t)} aria-label={`Run ${t.name}`}>Run</Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {running && <RunDialog template={running} onClose={() => setRunning(null)} />}
    </Stack>
  );
}
