import { ActionIcon, Anchor, Button, Group, Modal, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, type Repository, type Template, type View } from '../api';
import { EmptyState, ErrorAlert, Loading, useProjectId } from '../ui';
import { inView, moveView, nextPosition, sortViews } from '../views';
import { useProjectList } from './Resources';
import { RunDialog } from './Run';

export function TemplatesPage() {
  const pid = useProjectId();
  const templates = useProjectList<Template>(pid, 'templates');
  const repos = useProjectList<Repository>(pid, 'repositories');
  const viewsQ = useProjectList<View>(pid, 'views');
  const views = sortViews(viewsQ.data ?? []);
  const [params, setParams] = useSearchParams();
  const tab = params.get('view') ?? 'all';
  const [running, setRunning] = useState<Template | null>(null);
  const [managing, setManaging] = useState(false);
  const newButton = <Button component={Link} to={`/project/${pid}/templates/new`}>New template</Button>;
  const shown = inView(templates.data ?? [], tab, views);
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Templates</Title>
        <Group gap="xs">
          <Button variant="default" onClick={() => setManaging(true)}>Manage views</Button>
          {newButton}
        </Group>
      </Group>
      <ErrorAlert error={templates.error ?? viewsQ.error} />
      {views.length > 0 && (
        <Tabs value={tab} onChange={(v) => setParams(v && v !== 'all' ? { view: v } : {}, { replace: true })}>
          <Tabs.List>
            <Tabs.Tab value="all">All</Tabs.Tab>
            {views.map((v) => <Tabs.Tab key={v.id} value={String(v.id)}>{v.title}</Tabs.Tab>)}
          </Tabs.List>
        </Tabs>
      )}
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
      ) : shown.length === 0 ? (
        <EmptyState title="No templates in this view">
          Choose this view in a template's form (the “View” field) to show it here, or look under “All”.
        </EmptyState>
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr><Table.Th>Name</Table.Th><Table.Th>App</Table.Th><Table.Th>Playbook / script</Table.Th><Table.Th w={160} /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((t) => (
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
      {managing && <ViewsDialog pid={pid} views={views} onClose={() => setManaging(false)} />}
    </Stack>
  );
}

function ViewsDialog({ pid, views, onClose }: { pid: number; views: View[]; onClose: () => void }) {
  const qc = useQueryClient();
  const [title, setTitle] = useState('');
  const [names, setNames] = useState<Record<number, string>>({});
  const refresh = () => Promise.all([
    qc.invalidateQueries({ queryKey: ['project', pid, 'views'] }),
    qc.invalidateQueries({ queryKey: ['project', pid, 'templates'] }),
  ]);
  const put = (v: View) => api.put(`/project/${pid}/views/${v.id}`, { id: v.id, project_id: pid, title: v.title, position: v.position });
  const add = useMutation({
    mutationFn: () => api.post<View>(`/project/${pid}/views`, { project_id: pid, title: title.trim(), position: nextPosition(views) }),
    onSuccess: () => { setTitle(''); return refresh(); },
  });
  const rename = useMutation({ mutationFn: (v: View) => put(v), onSuccess: refresh });
  const move = useMutation({ mutationFn: async (changed: View[]) => { for (const v of changed) await put(v); }, onSuccess: refresh, onError: refresh });
  const del = useMutation({ mutationFn: (v: View) => api.del(`/project/${pid}/views/${v.id}`), onSuccess: refresh });
  return (
    <Modal opened onClose={onClose} title="Views" size="lg">
      <Stack>
        <Text size="sm" c="dimmed">Views are the tabs of the templates list. Deleting a view keeps its templates: they move out of it.</Text>
        {views.length === 0 && <Text size="sm">No views yet. Add one below, then choose it in a template's form.</Text>}
        {views.map((v, i) => {
          const name = names[v.id] ?? v.title;
          return (
            <Group key={v.id} gap="xs" wrap="nowrap">
              <TextInput aria-label={`Title of view ${v.title}`} style={{ flex: 1 }} value={name}
                onChange={(e) => { const val = e.currentTarget.value; setNames((n) => ({ ...n, [v.id]: val })); }} />
              <Button size="xs" variant="light" disabled={!name.trim() || name === v.title} loading={rename.isPending && rename.variables?.id === v.id}
                onClick={() => rename.mutate({ ...v, title: name.trim() })}>Rename</Button>
              <ActionIcon variant="subtle" aria-label={`Move ${v.title} up`} disabled={i === 0 || move.isPending} onClick={() => move.mutate(moveView(views, i, -1))}>↑</ActionIcon>
              <ActionIcon variant="subtle" aria-label={`Move ${v.title} down`} disabled={i === views.length - 1 || move.isPending} onClick={() => move.mutate(moveView(views, i, 1))}>↓</ActionIcon>
              <ActionIcon variant="subtle" color="red" aria-label={`Delete view ${v.title}`}
                onClick={() => window.confirm(`Delete the view “${v.title}”? Its templates stay, under “All”.`) && del.mutate(v)}>✕</ActionIcon>
            </Group>
          );
        })}
        <ErrorAlert error={rename.error ?? move.error ?? del.error} title="Could not change the view" />
        <form onSubmit={(e) => { e.preventDefault(); if (title.trim()) add.mutate(); }}>
          <Group align="flex-end" gap="xs">
            <TextInput label="New view" placeholder="Deploy" style={{ flex: 1 }} value={title} onChange={(e) => setTitle(e.currentTarget.value)} />
            <Button type="submit" loading={add.isPending} disabled={!title.trim()}>Add view</Button>
          </Group>
        </form>
        <ErrorAlert error={add.error} title="Could not add the view" />
        <Group justify="flex-end"><Button onClick={onClose}>Done</Button></Group>
      </Stack>
    </Modal>
  );
}
