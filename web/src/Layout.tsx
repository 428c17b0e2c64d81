// The frame around every logged-in page: a header with the current user,
// the theme toggle and logout; and, inside a project, the left navigation.
import { ActionIcon, AppShell, Burger, Group, Menu, NavLink, Select, Text, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Outlet, useLocation, useMatch, useNavigate } from 'react-router';
import { api, type Project, type User } from './api';
import { Loading } from './ui';

const sections = [
  ['history', 'Dashboard / Task history'],
  ['templates', 'Templates'],
  ['inventory', 'Inventory'],
  ['environment', 'Environment'],
  ['keys', 'Keys'],
  ['repositories', 'Repositories'],
  ['schedules', 'Schedules'],
  ['integrations', 'Integrations'],
  ['team', 'Team'],
  ['settings', 'Settings'],
] as const;

export function useUser() {
  return useQuery({ queryKey: ['user'], queryFn: () => api.get<User>('/user') });
}

export function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to ${next} theme`} onClick={() => setColorScheme(next)}>
        {scheme === 'dark' ? '☀' : '☾'}
      </ActionIcon>
    </Tooltip>
  );
}

export function Layout() {
  const user = useUser();
  const match = useMatch('/project/:pid/*');
  const pid = match?.params.pid;
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const projects = useQuery({ queryKey: ['projects'], queryFn: () => api.get<Project[]>('/projects'), enabled: !!user.data });

  if (!user.data) return user.isError ? <Outlet /> : <Loading />;

  const logout = async () => {
    await api.post('/auth/logout').catch(() => {});
    qc.removeQueries();
    navigate('/login');
  };

  return (
    <AppShell header={{ height: 56 }} padding="md"
      navbar={pid ? { width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } } : undefined}>
      <a href="#main" className="skip-link" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            {pid && <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />}
            <Text component={Link} to="/" fw={700} size="lg">Signalbox</Text>
            {pid && projects.data && (
              <Select aria-label="Project" size="xs" w={200} allowDeselect={false} value={pid}
                data={projects.data.map((p) => ({ value: String(p.id), label: p.name }))}
                onChange={(v) => v && navigate(`/project/${v}/history`)} />
            )}
          </Group>
          <Group gap="sm">
            {user.data.admin && <Text component={Link} to="/admin/users" size="sm" visibleFrom="sm">Users</Text>}
            <ThemeToggle />
            <Menu position="bottom-end">
              <Menu.Target>
                <UnstyledButton aria-label="User menu" data-testid="current-user">
                  <Text size="sm" fw={500}>{user.data.name || user.data.username}</Text>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{user.data.username}{user.data.admin ? ' (admin)' : ''}</Menu.Label>
                <Menu.Item component={Link} to="/user/tokens">API tokens</Menu.Item>
                {user.data.admin && <Menu.Item component={Link} to="/admin/users">Users</Menu.Item>}
                <Menu.Divider />
                <Menu.Item onClick={logout}>Log out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      {pid && (
        <AppShell.Navbar p="xs" aria-label="Project navigation">
          {sections.map(([path, label]) => (
            <NavLink key={path} component={Link} to={`/project/${pid}/${path}`} label={label} onClick={close}
              active={location.pathname.startsWith(`/project/${pid}/${path}`) ||
                (path === 'history' && location.pathname.startsWith(`/project/${pid}/tasks`))} />
          ))}
        </AppShell.Navbar>
      )}
      <AppShell.Main id="main" tabIndex={-1} style={{ outline: 'none' }}>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
