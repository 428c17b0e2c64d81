// Administration of user accounts (admins only).
import { Badge, Button, Checkbox, Group, Modal, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type User } from '../api';
import { useUser } from '../Layout';
import { EmptyState, ErrorAlert, Loading } from '../ui';

export function UsersPage() {
  const me = useUser();
  const users = useQuery({ queryKey: ['users'], queryFn: () => api.get<User[]>('/users'), enabled: !!me.data?.admin });
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [password, setPassword] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (u: User) => api.del(`/users/${u.id}`),
    onSuccess: () => { setDeleting(null); void qc.invalidateQueries({ queryKey: ['users'] }); },
  });
  if (me.data && !me.data.admin) {
    return <EmptyState title="Administrators only">Only administrators manage user accounts. Ask one to add or change users.</EmptyState>;
  }
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Users</Title>
        <Button onClick={() => setEditing('new')}>New user</Button>
      </Group>
      <ErrorAlert error={users.error} />
      {users.isPending ? <Loading /> : users.data?.length === 0 ? (
        <EmptyState title="No users" action={<Button onClick={() => setEditing('new')}>New user</Button>}>Create a user, then add them to projects from each project's Team page.</EmptyState>
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Username</Table.Th><Table.Th>Email</Table.Th><Table.Th>Role</Table.Th><Table.Th w={280} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {users.data?.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td fw={500}>{u.name}</Table.Td>
                <Table.Td>{u.username}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{u.admin ? <Badge variant="light">admin</Badge> : <Text size="sm" c="dimmed">user</Text>}</Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="default" aria-label={`Edit ${u.username}`} onClick={() => setEditing(u)}>Edit</Button>
                    <Button size="xs" variant="default" aria-label={`Set password of ${u.username}`} onClick={() => setPassword(u)}>Password</Button>
                    <Button size="xs" variant="subtle" color="red" aria-label={`Delete ${u.username}`} onClick={() => setDeleting(u)}>Delete</Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && <UserForm user={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {password && <PasswordForm user={password} onClose={() => setPassword(null)} />}
      <Modal opened={!!deleting} onClose={() => { setDeleting(null); del.reset(); }} title="Delete user">
        <Stack>
          <Text>Delete the user “{deleting?.username}”? They lose access to every project. This cannot be undone.</Text>
          <ErrorAlert error={del.error} title="Could not delete the user" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => { setDeleting(null); del.reset(); }}>Cancel</Button>
            <Button color="red" loading={del.isPending} onClick={() => deleting && del.mutate(deleting)}>Delete</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function UserForm({ user, onClose }: { user?: User; onClose: () => void }) {
  const [f, setF] = useState({ username: user?.username ?? '', name: user?.name ?? '', email: user?.email ?? '', password: '', admin: user?.admin ?? false });
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: () => user
      ? api.put(`/users/${user.id}`, { id: user.id, username: f.username, name: f.name, email: f.email, admin: f.admin })
      : api.post<User>('/users', f),
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['users'] }); void qc.invalidateQueries({ queryKey: ['user'] }); onClose(); },
  });
  return (
    <Modal opened onClose={onClose} title={user ? `Edit ${user.username}` : 'New user'}>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack>
          <TextInput label="Username" required data-autofocus value={f.username} onChange={(e) => set('username', e.currentTarget.value)} />
          <TextInput label="Name" value={f.name} onChange={(e) => set('name', e.currentTarget.value)} />
          <TextInput label="Email" type="email" required value={f.email} onChange={(e) => set('email', e.currentTarget.value)} />
          {!user && <PasswordInput label="Password" required autoComplete="new-password" value={f.password} onChange={(e) => set('password', e.currentTarget.value)} />}
          <Checkbox label="Administrator" description="Administrators may do everything in every project and manage users."
            checked={f.admin} onChange={(e) => set('admin', e.currentTarget.checked)} />
          <ErrorAlert error={save.error} title="Could not save the user" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending}>{user ? 'Save' : 'Create'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function PasswordForm({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const save = useMutation({ mutationFn: () => api.post(`/users/${user.id}/password`, { password }), onSuccess: onClose });
  const mismatch = again !== '' && again !== password;
  return (
    <Modal opened onClose={onClose} title={`Set the password of ${user.username}`}>
      <form onSubmit={(e) => { e.preventDefault(); if (!mismatch) save.mutate(); }}>
        <Stack>
          <PasswordInput label="New password" required data-autofocus autoComplete="new-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <PasswordInput label="Repeat the password" required autoComplete="new-password" value={again} onChange={(e) => setAgain(e.currentTarget.value)}
            error={mismatch ? 'The passwords differ' : undefined} />
          <ErrorAlert error={save.error} title="Could not set the password" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending} disabled={mismatch || !password}>Set password</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
