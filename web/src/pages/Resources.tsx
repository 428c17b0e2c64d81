// Keys, repositories, inventories and environments: one list-and-form page
// each, built from a small description of the resource.
import { ActionIcon, Button, Group, Modal, PasswordInput, Select, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, type EnvSecret, type Environment, type Inventory, type Key, type Repository } from '../api';
import { EmptyState, ErrorAlert, Loading, useProjectId } from '../ui';

type Form = Record<string, string>;

export interface FieldDef {
  name: string;
  label: string;
  kind?: 'text' | 'textarea' | 'password' | 'select' | 'json';
  required?: boolean;
  description?: string;
  placeholder?: string;
  options?: (ctx: Ctx) => { value: string; label: string }[];
  show?: (f: Form) => boolean;
}

interface Ctx { keys: Key[] }

export function useProjectList<T>(pid: number, path: string) {
  return useQuery({ queryKey: ['project', pid, path], queryFn: () => api.get<T[]>(`/project/${pid}/${path}`) });
}

interface ResourceDef<T extends { id: number; name: string }> {
  path: string;
  title: string;
  singular: string;
  empty: ReactNode;
  columns: { label: string; render: (item: T, ctx: Ctx) => ReactNode }[];
  fields: FieldDef[];
  toForm: (item?: T) => Form;
  toBody: (f: Form, pid: number, item?: T, extra?: unknown) => unknown;
  /** Extra renders more of the form (the environment's secrets). */
  Extra?: (p: { item?: T; value: unknown; onChange: (v: unknown) => void }) => ReactNode;
}

function ResourcePage<T extends { id: number; name: string }>({ def }: { def: ResourceDef<T> }) {
  const pid = useProjectId();
  const list = useProjectList<T>(pid, def.path);
  const keys = useProjectList<Key>(pid, 'keys');
  const ctx: Ctx = { keys: keys.data ?? [] };
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const [deleting, setDeleting] = useState<T | null>(null);
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (item: T) => api.del(`/project/${pid}/${def.path}/${item.id}`),
    onSuccess: () => { qc.invalidateQueries({ queryKey: ['project', pid, def.path] }); setDeleting(null); },
  });
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={2}>{def.title}</Title>
        <Button onClick={() => setEditing('new')}>New {def.singular}</Button>
      </Group>
      <ErrorAlert error={list.error} />
      {list.isPending ? <Loading /> : list.data?.length === 0 ? (
        <EmptyState title={`No ${def.title.toLowerCase()} yet`}
          action={<Button onClick={() => setEditing('new')}>New {def.singular}</Button>}>{def.empty}</EmptyState>
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              {def.columns.map((c) => <Table.Th key={c.label}>{c.label}</Table.Th>)}
              <Table.Th w={120} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.map((item) => (
              <Table.Tr key={item.id}>
                <Table.Td fw={500}>{item.name}</Table.Td>
                {def.columns.map((c) => <Table.Td key={c.label}>{c.render(item, ctx)}</Table.Td>)}
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <ActionIcon variant="subtle" aria-label={`Edit ${item.name}`} onClick={() => setEditing(item)}>✎</ActionIcon>
                    <ActionIcon variant="subtle" color="red" aria-label={`Delete ${item.name}`} onClick={() => setDeleting(item)}>✕</ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <ResourceForm def={def} pid={pid} ctx={ctx} item={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />
      )}
      <Modal opened={!!deleting} onClose={() => { setDeleting(null); del.reset(); }} title={`Delete ${def.singular}`}>
        <Stack>
          <Text>Delete “{deleting?.name}”? This cannot be undone.</Text>
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

function ResourceForm<T extends { id: number; name: string }>({ def, pid, ctx, item, onClose }: {
  def: ResourceDef<T>; pid: number; ctx: Ctx; item?: T; onClose: () => void;
}) {
  const [form, setForm] = useState<Form>(() => def.toForm(item));
  const [extra, setExtra] = useState<unknown>(undefined);
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      const body = def.toBody(form, pid, item, extra);
      return item ? api.put(`/project/${pid}/${def.path}/${item.id}`, body) : api.post(`/project/${pid}/${def.path}`, body);
    },
    onSuccess: () => { qc.invalidateQueries({ queryKey: ['project', pid, def.path] }); onClose(); },
    // (invalidating the list also refreshes each item's query, whose key starts the same)
  });
  const set = (k: string, v: string) => setForm((f) => ({ ...f, [k]: v }));
  return (
    <Modal opened onClose={onClose} size="lg" title={item ? `Edit ${def.singular}` : `New ${def.singular}`}>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack>
          <TextInput label="Name" required data-autofocus value={form.name ?? ''} onChange={(e) => set('name', e.currentTarget.value)} />
          {def.fields.filter((f) => !f.show || f.show(form)).map((f) => {
            const common = { key: f.name, label: f.label, required: f.required, description: f.description, placeholder: f.placeholder };
            switch (f.kind) {
              case 'select':
                return <Select {...common} data={f.options!(ctx)} value={form[f.name] ?? ''} allowDeselect={false}
                  onChange={(v) => set(f.name, v ?? '')} />;
              case 'password':
                return <PasswordInput {...common} autoComplete="new-password" value={form[f.name] ?? ''}
                  onChange={(e) => set(f.name, e.currentTarget.value)} />;
              case 'textarea':
              case 'json':
                return <Textarea {...common} autosize minRows={f.kind === 'json' ? 3 : 6} maxRows={20} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                  error={f.kind === 'json' && !validJSON(form[f.name]) ? 'Not valid JSON' : undefined}
                  value={form[f.name] ?? ''} onChange={(e) => set(f.name, e.currentTarget.value)} />;
              default:
                return <TextInput {...common} value={form[f.name] ?? ''} onChange={(e) => set(f.name, e.currentTarget.value)} />;
            }
          })}
          {def.Extra && <def.Extra item={item} value={extra} onChange={setExtra} />}
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

function validJSON(s: string | undefined): boolean {
  if (!s || !s.trim()) return true;
  try { JSON.parse(s); return true; } catch { return false; }
}

const keyOptions = (ctx: Ctx) => [{ value: '0', label: 'None' }, ...ctx.keys.map((k) => ({ value: String(k.id), label: k.name }))];
const keyName = (id: number | undefined, ctx: Ctx) => (id ? ctx.keys.find((k) => k.id === id)?.name ?? `#${id}` : '—');
const keyTypes: Record<string, string> = { none: 'None', ssh: 'SSH key', login_password: 'Login and password' };

const keysDef: ResourceDef<Key> = {
  path: 'keys', title: 'Keys', singular: 'key',
  empty: 'Keys hold SSH keys and passwords that repositories and inventories use. They are encrypted and never shown again once saved.',
  columns: [{ label: 'Type', render: (k) => keyTypes[k.type] ?? k.type }],
  fields: [
    { name: 'type', label: 'Type', kind: 'select', required: true, options: () => Object.entries(keyTypes).map(([value, label]) => ({ value, label })) },
    { name: 'login', label: 'Login', show: (f) => f.type !== 'none' },
    { name: 'password', label: 'Password', kind: 'password', show: (f) => f.type === 'login_password', description: 'Write-only. Leave empty to keep the saved one.' },
    { name: 'private_key', label: 'Private key', kind: 'textarea', show: (f) => f.type === 'ssh', description: 'Write-only. Leave empty to keep the saved one.' },
    { name: 'passphrase', label: 'Passphrase', kind: 'password', show: (f) => f.type === 'ssh' },
  ],
  toForm: (k) => ({ name: k?.name ?? '', type: k?.type ?? 'ssh', login: '', password: '', private_key: '', passphrase: '' }),
  toBody: (f, pid, k) => {
    const body: Record<string, unknown> = { name: f.name, type: f.type, project_id: pid };
    if (k) body.id = k.id;
    if (f.type === 'ssh') body.ssh = { login: f.login, private_key: f.private_key, passphrase: f.passphrase };
    if (f.type === 'login_password') body.login_password = { login: f.login, password: f.password };
    return body;
  },
};

const repositoriesDef: ResourceDef<Repository> = {
  path: 'repositories', title: 'Repositories', singular: 'repository',
  empty: 'A repository is where your playbooks and scripts live: a Git URL, or a folder on the server such as /srv/scripts.',
  columns: [
    { label: 'URL or path', render: (r) => <Text ff="monospace" size="sm">{r.git_url}</Text> },
    { label: 'Branch', render: (r) => r.git_branch || '—' },
    { label: 'Key', render: (r, ctx) => keyName(r.ssh_key_id, ctx) },
  ],
  fields: [
    { name: 'git_url', label: 'Git URL or local folder', required: true, placeholder: 'https://github.com/you/playbooks.git or /srv/scripts' },
    { name: 'git_branch', label: 'Branch', placeholder: 'main' },
    { name: 'ssh_key_id', label: 'Access key', kind: 'select', options: keyOptions },
  ],
  toForm: (r) => ({ name: r?.name ?? '', git_url: r?.git_url ?? '', git_branch: r?.git_branch ?? '', ssh_key_id: String(r?.ssh_key_id ?? 0) }),
  toBody: (f, pid, r) => ({ ...(r ? { id: r.id } : {}), project_id: pid, name: f.name, git_url: f.git_url, git_branch: f.git_branch, ssh_key_id: Number(f.ssh_key_id) || 0 }),
};

const inventoryTypes: Record<string, string> = { static: 'Static (INI)', 'static-yaml': 'Static (YAML)', file: 'File in the repository' };

const inventoriesDef: ResourceDef<Inventory> = {
  path: 'inventory', title: 'Inventory', singular: 'inventory',
  empty: 'An inventory lists the hosts a task runs against. For scripts that run on the server, an inventory with just “localhost” will do.',
  columns: [
    { label: 'Type', render: (i) => inventoryTypes[i.type] ?? i.type },
    { label: 'SSH key', render: (i, ctx) => keyName(i.ssh_key_id, ctx) },
  ],
  fields: [
    { name: 'type', label: 'Type', kind: 'select', required: true, options: () => Object.entries(inventoryTypes).map(([value, label]) => ({ value, label })) },
    { name: 'inventory', label: 'Inventory', kind: 'textarea', show: (f) => f.type !== 'file', placeholder: '[web]\nweb1.example.com\n' },
    { name: 'inventory', label: 'Path in the repository', show: (f) => f.type === 'file', placeholder: 'inventories/prod.ini' },
    { name: 'ssh_key_id', label: 'SSH key', kind: 'select', options: keyOptions },
    { name: 'become_key_id', label: 'Become (sudo) key', kind: 'select', options: keyOptions },
  ],
  toForm: (i) => ({ name: i?.name ?? '', type: i?.type ?? 'static', inventory: i?.inventory ?? '', ssh_key_id: String(i?.ssh_key_id ?? 0), become_key_id: String(i?.become_key_id ?? 0) }),
  toBody: (f, pid, i) => ({ ...(i ? { id: i.id } : {}), project_id: pid, name: f.name, type: f.type, inventory: f.inventory, ssh_key_id: Number(f.ssh_key_id) || 0, become_key_id: Number(f.become_key_id) || 0 }),
};

// Secret edits for an environment: existing secrets marked for deletion, and new ones.
interface SecretEdits { deleted: number[]; added: { name: string; type: string; secret: string }[] }

function SecretsEditor({ item, value, onChange }: { item?: Environment; value: unknown; onChange: (v: unknown) => void }) {
  const v = (value as SecretEdits | undefined) ?? { deleted: [], added: [] };
  // The list does not carry secrets; one environment does.
  const full = useQuery({
    queryKey: ['project', item?.project_id, 'environment', item?.id],
    queryFn: () => api.get<Environment>(`/project/${item!.project_id}/environment/${item!.id}`),
    enabled: !!item,
  });
  const existing: EnvSecret[] = (full.data?.secrets ?? []).filter((s) => !v.deleted.includes(s.id));
  const update = (n: Partial<SecretEdits>) => onChange({ ...v, ...n });
  return (
    <Stack gap="xs">
      <Text fw={500} size="sm">Secrets</Text>
      <Text size="xs" c="dimmed">Encrypted and write-only. “env” secrets become environment variables, “var” secrets extra variables; their values are masked in the output.</Text>
      {existing.map((s) => (
        <Group key={s.id} gap="xs">
          <Text size="sm" ff="monospace" style={{ flex: 1 }}>{s.name} <Text span c="dimmed">({s.type})</Text></Text>
          <Button size="xs" variant="subtle" color="red" aria-label={`Delete secret ${s.name}`} onClick={() => update({ deleted: [...v.deleted, s.id] })}>Delete</Button>
        </Group>
      ))}
      {v.added.map((s, i) => {
        const set = (k: keyof typeof s, val: string) => update({ added: v.added.map((x, j) => (j === i ? { ...x, [k]: val } : x)) });
        return (
          <Group key={i} gap="xs" align="flex-end" wrap="nowrap">
            <TextInput label="Secret name" required value={s.name} onChange={(e) => set('name', e.currentTarget.value)} />
            <Select label="Type" w={90} data={['env', 'var']} value={s.type} allowDeselect={false} onChange={(t) => set('type', t ?? 'env')} />
            <PasswordInput label="Value" required autoComplete="new-password" style={{ flex: 1 }} value={s.secret} onChange={(e) => set('secret', e.currentTarget.value)} />
            <ActionIcon variant="subtle" color="red" mb={4} aria-label="Remove this new secret" onClick={() => update({ added: v.added.filter((_, j) => j !== i) })}>✕</ActionIcon>
          </Group>
        );
      })}
      <Group><Button size="xs" variant="light" onClick={() => update({ added: [...v.added, { name: '', type: 'env', secret: '' }] })}>Add secret</Button></Group>
    </Stack>
  );
}

const environmentsDef: ResourceDef<Environment> = {
  path: 'environment', title: 'Environment', singular: 'environment',
  empty: 'An environment holds the extra variables (JSON) and environment variables a task gets, and secrets that are encrypted at rest.',
  columns: [
    { label: 'Extra variables', render: (e) => <Text ff="monospace" size="sm" lineClamp={1}>{e.json || '{}'}</Text> },
    { label: 'Environment variables', render: (e) => <Text ff="monospace" size="sm" lineClamp={1}>{e.env || '{}'}</Text> },
  ],
  fields: [
    { name: 'json', label: 'Extra variables (JSON)', kind: 'json', placeholder: '{"greeting": "hello"}' },
    { name: 'env', label: 'Environment variables (JSON)', kind: 'json', placeholder: '{"TARGET": "world"}' },
  ],
  toForm: (e) => ({ name: e?.name ?? '', json: e?.json || '{}', env: e?.env || '{}' }),
  toBody: (f, pid, e, extra) => {
    const edits = (extra as SecretEdits | undefined) ?? { deleted: [], added: [] };
    const secrets = [
      ...edits.deleted.map((id) => ({ id, operation: 'delete' })),
      ...edits.added.map((s) => ({ ...s, operation: 'create' })),
    ];
    return { ...(e ? { id: e.id } : {}), project_id: pid, name: f.name, json: f.json || '{}', env: f.env || '{}', secrets };
  },
  Extra: SecretsEditor as ResourceDef<Environment>['Extra'],
};

export const KeysPage = () => <ResourcePage def={keysDef} />;
export const RepositoriesPage = () => <ResourcePage def={repositoriesDef} />;
export const InventoriesPage = () => <ResourcePage def={inventoriesDef} />;
export const EnvironmentsPage = () => <ResourcePage def={environmentsDef} />;
