// Incoming webhooks: integrations that start a template's task, and the
// alias URLs that senders post to (docs/api.md, "Integrations").
import { ActionIcon, Anchor, Badge, Button, Checkbox, Code, CopyButton, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, type AuthMethod, type Integration, type IntegrationAlias, type Template } from '../api';
import { EmptyState, ErrorAlert, Loading, useProjectId } from '../ui';
import { useProjectList } from './Resources';

export const authMethods: { value: AuthMethod; label: string; header?: string }[] = [
  { value: 'none', label: 'None' },
  { value: 'token', label: 'Token in a header', header: 'X-Signalbox-Token' },
  { value: 'hmac', label: 'HMAC-SHA256 signature', header: 'X-Signalbox-Signature-256' },
  { value: 'github', label: 'GitHub webhook secret' },
  { value: 'gitlab', label: 'GitLab webhook token' },
  { value: 'basic', label: 'HTTP basic auth' },
];

/** webhookURL is the full address a sender posts to for an alias. */
export function webhookURL(alias: string, origin = window.location.origin): string {
  return `${origin}/api/integrations/${encodeURIComponent(alias)}`;
}

export function IntegrationsPage() {
  const pid = useProjectId();
  const list = useProjectList<Integration>(pid, 'integrations');
  const templates = useProjectList<Template>(pid, 'templates');
  const [editing, setEditing] = useState<Integration | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Integration | null>(null);
  const [aliases, setAliases] = useState<Integration | null>(null);
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (i: Integration) => api.del(`/project/${pid}/integrations/${i.id}`),
    onSuccess: () => { setDeleting(null); void qc.invalidateQueries({ queryKey: ['project', pid, 'integrations'] }); },
  });
  const templateName = (id: number) => templates.data?.find((t) => t.id === id)?.name ?? `#${id}`;
  const noTemplates = templates.data?.length === 0;
  const newButton = <Button onClick={() => setEditing('new')} disabled={noTemplates}>New integration</Button>;
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>Integrations</Title>
        {newButton}
      </Group>
      <ErrorAlert error={list.error} />
      {list.isPending ? <Loading /> : list.data?.length === 0 ? (
        noTemplates ? (
          <EmptyState title="No integrations yet" action={<Button component={Link} to={`/project/${pid}/templates/new`}>New template</Button>}>
            An integration starts a template's task when a webhook arrives (from GitHub, GitLab, CI or curl). Create a template first.
          </EmptyState>
        ) : (
          <EmptyState title="No integrations yet" action={newButton}>
            An integration starts a template's task when a webhook arrives (from GitHub, GitLab, CI or curl). Create one, then give its URL to the sender.
          </EmptyState>
        )
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Template</Table.Th><Table.Th>Authentication</Table.Th><Table.Th w={260} /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data?.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td fw={500}>{i.name} {i.searchable && <Badge size="xs" variant="light" color="gray">searchable</Badge>}</Table.Td>
                <Table.Td><Anchor component={Link} to={`/project/${pid}/templates/${i.template_id}`}>{templateName(i.template_id)}</Anchor></Table.Td>
                <Table.Td>{authMethods.find((m) => m.value === i.auth_method)?.label ?? i.auth_method}</Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="light" aria-label={`Webhook URLs of ${i.name}`} onClick={() => setAliases(i)}>URLs</Button>
                    <ActionIcon variant="subtle" aria-label={`Edit ${i.name}`} onClick={() => setEditing(i)}>✎</ActionIcon>
                    <ActionIcon variant="subtle" color="red" aria-label={`Delete ${i.name}`} onClick={() => setDeleting(i)}>✕</ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && <IntegrationForm pid={pid} templates={templates.data ?? []} item={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
      {aliases && <AliasesDialog pid={pid} integration={aliases} onClose={() => setAliases(null)} />}
      <Modal opened={!!deleting} onClose={() => { setDeleting(null); del.reset(); }} title="Delete integration">
        <Stack>
          <Text>Delete “{deleting?.name}”? Its webhook URLs stop working. This cannot be undone.</Text>
          <ErrorAlert error={del.error} title="Could not delete" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>Cancel</Button>
            <Button color="red" loading={del.isPending} onClick={() => deleting && del.mutate(deleting)}>Delete</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function IntegrationForm({ pid, templates, item, onClose }: { pid: number; templates: Template[]; item?: Integration; onClose: () => void }) {
  const [f, setF] = useState({
    name: item?.name ?? '', template_id: item ? String(item.template_id) : '', auth_method: item?.auth_method ?? 'none' as AuthMethod,
    auth_header: item?.auth_header ?? '', auth_secret: '', auth_login: '', searchable: item?.searchable ?? false,
    task_params: item?.task_params && Object.keys(item.task_params).length ? JSON.stringify(item.task_params, null, 2) : '',
  });
  const set = <K extends keyof typeof f>(k: K, v: (typeof f)[K]) => setF((x) => ({ ...x, [k]: v }));
  const qc = useQueryClient();
  const method = authMethods.find((m) => m.value === f.auth_method);
  let params: unknown = {};
  let paramsError: string | undefined;
  try { params = f.task_params.trim() ? JSON.parse(f.task_params) : {}; } catch { paramsError = 'Not valid JSON'; }
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {
        project_id: pid, name: f.name, template_id: Number(f.template_id), auth_method: f.auth_method,
        auth_header: method?.header ? f.auth_header : '', searchable: f.searchable, task_params: params,
      };
      if (f.auth_method !== 'none' && f.auth_secret) { body.auth_secret = f.auth_secret; if (f.auth_method === 'basic') body.auth_login = f.auth_login; }
      if (item) { body.id = item.id; return api.put(`/project/${pid}/integrations/${item.id}`, body); }
      return api.post(`/project/${pid}/integrations`, body);
    },
    onSuccess: () => { void qc.invalidateQueries({ queryKey: ['project', pid, 'integrations'] }); onClose(); },
  });
  const secretKept = !!item && item.auth_method === f.auth_method;
  return (
    <Modal opened onClose={onClose} size="lg" title={item ? `Edit integration` : 'New integration'}>
      <form onSubmit={(e) => { e.preventDefault(); if (!paramsError) save.mutate(); }}>
        <Stack>
          <TextInput label="Name" required data-autofocus value={f.name} onChange={(e) => set('name', e.currentTarget.value)} />
          <Select label="Template" required description="The template whose task a webhook starts" value={f.template_id || null}
            data={templates.map((t) => ({ value: String(t.id), label: t.name }))} onChange={(v) => set('template_id', v ?? '')} />
          <Select label="Authentication" allowDeselect={false} data={authMethods} value={f.auth_method}
            onChange={(v) => set('auth_method', (v ?? 'none') as AuthMethod)} />
          {method?.header && <TextInput label="Header" placeholder={method.header} description={`Empty: ${method.header}`}
            value={f.auth_header} onChange={(e) => set('auth_header', e.currentTarget.value)} />}
          {f.auth_method === 'basic' && <TextInput label="Login" value={f.auth_login} onChange={(e) => set('auth_login', e.currentTarget.value)} />}
          {f.auth_method !== 'none' && <PasswordInput label="Secret" required={!secretKept} autoComplete="new-password"
            description={secretKept ? 'Write-only. Leave empty to keep the saved one.' : 'Write-only: it is never shown again.'}
            value={f.auth_secret} onChange={(e) => set('auth_secret', e.currentTarget.value)} />}
          <Checkbox label="Searchable" description="Webhooks sent to the project's alias reach this integration too."
            checked={f.searchable} onChange={(e) => set('searchable', e.currentTarget.checked)} />
          <Textarea label="Task parameters (JSON)" description="Parameters of the tasks it starts, over the template's" autosize minRows={2} maxRows={12}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} error={paramsError}
            value={f.task_params} onChange={(e) => set('task_params', e.currentTarget.value)} />
          <ErrorAlert error={save.error} title="Could not save" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending}>{item ? 'Save' : 'Create'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function AliasesDialog({ pid, integration, onClose }: { pid: number; integration: Integration; onClose: () => void }) {
  const key = ['project', pid, 'integrations', integration.id, 'aliases'];
  const aliases = useQuery({ queryKey: key, queryFn: () => api.get<IntegrationAlias[]>(`/project/${pid}/integrations/${integration.id}/aliases`) });
  const qc = useQueryClient();
  const add = useMutation({
    mutationFn: () => api.post<IntegrationAlias>(`/project/${pid}/integrations/${integration.id}/aliases`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
  return (
    <Modal opened onClose={onClose} size="xl" title={`Webhook URLs of “${integration.name}”`}>
      <Stack>
        <Text size="sm" c="dimmed">Senders POST to one of these URLs. Whoever knows a URL can reach the webhook, so treat it as a secret.</Text>
        <ErrorAlert error={aliases.error} />
        {aliases.isPending ? <Loading /> : aliases.data?.length === 0 ? (
          <Text size="sm">No URL yet: add one and give it to the sender.</Text>
        ) : aliases.data?.map((a) => {
          const url = webhookURL(a.alias);
          return (
            <Group key={a.id} gap="xs" wrap="nowrap">
              <Code style={{ flex: 1, wordBreak: 'break-all' }} data-testid="webhook-url">{url}</Code>
              <CopyButton value={url}>
                {({ copied, copy }) => <Button size="xs" variant="light" color={copied ? 'teal' : undefined} onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}
              </CopyButton>
            </Group>
          );
        })}
        <ErrorAlert error={add.error} title="Could not add a URL" />
        <Group justify="space-between">
          <Button variant="light" loading={add.isPending} onClick={() => add.mutate()}>Add URL</Button>
          <Button onClick={onClose}>Close</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
