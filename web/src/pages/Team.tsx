import { ActionIcon, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Member, type User } from '../api';
import { ErrorAlert, Loading, useProjectId } from '../ui';

const roles = [
  { value: 'owner', label: 'Owner' },
  { value: 'manager', label: 'Manager' },
  { value: 'task_runner', label: 'Task runner' },
  { value: 'guest', label: 'Guest' },
];

export function TeamPage() {
  const pid = useProjectId();
  const qc = useQueryClient();
  const members = useQuery({ queryKey: ['project', pid, 'users'], queryFn: () => api.get<Member[]>(`/project/${pid}/users`) });
  const users = useQuery({ queryKey: ['users'], queryFn: () => api.get<User[]>('/users'), retry: false });
  const [userId, setUserId] = useState<string | null>(null);
  const [role, setRole] = useState<string>('task_runner');
  const refresh = () => qc.invalidateQueries({ queryKey: ['project', pid, 'users'] });
  const add = useMutation({ mutationFn: () => api.post(`/project/${pid}/users`, { user_id: Number(userId), role }), onSuccess: () => { setUserId(null); void refresh(); } });
  const change = useMutation({ mutationFn: (m: { id: number; role: string }) => api.put(`/project/${pid}/users/${m.id}`, { user_id: m.id, role: m.role }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (id: number) => api.del(`/project/${pid}/users/${id}`), onSuccess: refresh });
  const candidates = (users.data ?? []).filter((u) => !members.data?.some((m) => m.id === u.id));
  return (
    <Stack maw={900}>
      <Title order={2}>Team</Title>
      <Text c="dimmed" size="sm">Owners manage members and can delete the project; managers change resources and templates; task runners start and stop tasks; guests only read.</Text>
      <ErrorAlert error={members.error ?? change.error ?? remove.error} />
      {members.isPending ? <Loading /> : (
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Username</Table.Th><Table.Th>Email</Table.Th><Table.Th>Role</Table.Th><Table.Th w={50} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {members.data?.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>{m.name}</Table.Td><Table.Td>{m.username}</Table.Td><Table.Td>{m.email}</Table.Td>
                <Table.Td><Select aria-label={`Role of ${m.username}`} size="xs" w={140} data={roles} value={m.role} allowDeselect={false}
                  onChange={(r) => r && change.mutate({ id: m.id, role: r })} /></Table.Td>
                <Table.Td><ActionIcon variant="subtle" color="red" aria-label={`Remove ${m.username}`}
                  onClick={() => window.confirm(`Remove ${m.username} from the project?`) && remove.mutate(m.id)}>✕</ActionIcon></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={4}>Add a member</Title>
      {users.error ? (
        <Text size="sm" c="dimmed">Only administrators can list users to add. ({users.error.message})</Text>
      ) : candidates.length === 0 && users.data ? (
        <Text size="sm" c="dimmed">Every user is already a member. Create more users with <code>signalbox user add</code> or POST /api/users.</Text>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); add.mutate(); }}>
          <Group align="flex-end">
            <Select label="User" required searchable data={candidates.map((u) => ({ value: String(u.id), label: `${u.name || u.username} (${u.username})` }))} value={userId} onChange={setUserId} />
            <Select label="Role" data={roles} value={role} allowDeselect={false} onChange={(r) => setRole(r ?? 'task_runner')} />
            <Button type="submit" loading={add.isPending} disabled={!userId}>Add</Button>
          </Group>
        </form>
      )}
      <ErrorAlert error={add.error} title="Could not add the member" />
    </Stack>
  );
}
