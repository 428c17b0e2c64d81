// The current user's API tokens: list, create (shown once), expire.
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type ApiToken } from '../api';
import { EmptyState, ErrorAlert, Loading, formatTime } from '../ui';

export function TokensPage() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: ['user', 'tokens'], queryFn: () => api.get<ApiToken[]>('/user/tokens') });
  const [created, setCreated] = useState<string | null>(null);
  const [expiring, setExpiring] = useState<ApiToken | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['user', 'tokens'] });
  const create = useMutation({
    mutationFn: () => api.post<{ id: string }>('/user/tokens'),
    onSuccess: (t) => { setCreated(t.id); void refresh(); },
  });
  const expire = useMutation({
    mutationFn: (id: string) => api.del(`/user/tokens/${encodeURIComponent(id)}`),
    onSuccess: () => { setExpiring(null); void refresh(); },
  });
  const newButton = <Button onClick={() => create.mutate()} loading={create.isPending}>New token</Button>;
  return (
    <Stack maw={900}>
      <Group justify="space-between">
        <Title order={2}>API tokens</Title>
        {newButton}
      </Group>
      <Text c="dimmed" size="sm">
        A token lets scripts call the API as you: send it as <Code>Authorization: Bearer &lt;token&gt;</Code>.
        Expire a token you no longer use.
      </Text>
      <ErrorAlert error={tokens.error} />
      <ErrorAlert error={create.error} title="Could not create a token" />
      {tokens.isPending ? <Loading /> : tokens.data?.length === 0 ? (
        <EmptyState title="No API tokens yet" action={newButton}>
          Create a token to use the API from scripts and CI jobs. It is shown once, when you create it.
        </EmptyState>
      ) : (
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Token id</Table.Th><Table.Th>Created</Table.Th><Table.Th>State</Table.Th><Table.Th w={110} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {tokens.data?.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td><Text ff="monospace" size="sm">{t.id}</Text></Table.Td>
                <Table.Td>{formatTime(t.created)}</Table.Td>
                <Table.Td>{t.expired ? <Badge color="gray" variant="light">expired</Badge> : <Badge color="green" variant="light">active</Badge>}</Table.Td>
                <Table.Td>
                  {!t.expired && <Button size="xs" variant="subtle" color="red" aria-label={`Expire token ${t.id}`} onClick={() => setExpiring(t)}>Expire</Button>}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={!!created} onClose={() => setCreated(null)} title="New API token" size="lg">
        <Stack>
          <Alert color="yellow" variant="light" title="Copy it now">
            This token will not be shown again. Store it somewhere safe; if you lose it, expire it and create another.
          </Alert>
          <Code block data-testid="new-token" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>{created}</Code>
          <Group justify="flex-end">
            <CopyButton value={created ?? ''}>
              {({ copied, copy }) => <Button variant="light" color={copied ? 'teal' : undefined} onClick={copy}>{copied ? 'Copied' : 'Copy token'}</Button>}
            </CopyButton>
            <Button onClick={() => setCreated(null)}>Done</Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={!!expiring} onClose={() => { setExpiring(null); expire.reset(); }} title="Expire token">
        <Stack>
          <Text>Expire token <Code>{expiring?.id}</Code>? Scripts that use it will get 401 from now on.</Text>
          <ErrorAlert error={expire.error} title="Could not expire the token" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setExpiring(null)}>Cancel</Button>
            <Button color="red" loading={expire.isPending} onClick={() => expiring && expire.mutate(expiring.id)}>Expire</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
