import { Button, Center, Group, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api';
import { ThemeToggle } from '../Layout';
import { ErrorAlert } from '../ui';

export function LoginPage() {
  const [auth, setAuth] = useState('');
  const [password, setPassword] = useState('');
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const login = useMutation({
    mutationFn: () => api.post('/auth/login', { auth, password }),
    onSuccess: () => {
      qc.removeQueries();
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    },
  });
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={380} radius="md">
        <form onSubmit={(e) => { e.preventDefault(); login.mutate(); }}>
          <Stack>
            <Group justify="space-between"><Title order={2}>Signalbox</Title><ThemeToggle /></Group>
            <TextInput label="Username or email" autoComplete="username" required autoFocus value={auth}
              onChange={(e) => setAuth(e.currentTarget.value)} />
            <PasswordInput label="Password" autoComplete="current-password" required value={password}
              onChange={(e) => setPassword(e.currentTarget.value)} />
            <ErrorAlert error={login.error} title="Could not log in" />
            <Button type="submit" loading={login.isPending}>Log in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
