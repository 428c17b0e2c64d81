// Create or edit a template. The app's own template parameters are rendered
// from the JSON Schema its plugin describes (GET /api/apps); the form's state
// and its conversion to the API's template are in templateform.ts.
import { ActionIcon, Button, Checkbox, Divider, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, type Environment, type Inventory, type Key, type Repository, type SurveyVar, type Template, type TemplateType, type View } from '../api';
import { sortViews } from '../views';
import { SchemaForm, schemaDefaults } from '../SchemaForm';
import { blankTemplate, bodyOf, formOf, vaultProblem, type TemplateForm as Form, type VaultRow } from '../templateform';
import { ErrorAlert, Loading, useProjectId } from '../ui';
import { useProjectList } from './Resources';
import { RunDialog, useApps } from './Run';

export function TemplateEditPage() {
  const pid = useProjectId();
  const { tid } = useParams();
  const existing = useQuery({
    queryKey: ['project', pid, 'templates', Number(tid)],
    queryFn: () => api.get<Template>(`/project/${pid}/templates/${tid}`),
    enabled: !!tid,
  });
  if (tid && !existing.data) return existing.error ? <ErrorAlert error={existing.error} /> : <Loading />;
  return <TemplateForm key={tid ?? 'new'} pid={pid} template={existing.data} />;
}

const opt = (xs: { id: number; name: string }[] | undefined) => (xs ?? []).map((x) => ({ value: String(x.id), label: x.name }));

function TemplateForm({ pid, template }: { pid: number; template?: Template }) {
  const [f, setF] = useState<Form>(() => (template ? formOf(template) : blankTemplate));
  const [running, setRunning] = useState(false);
  const apps = useApps();
  const repos = useProjectList<Repository>(pid, 'repositories');
  const invs = useProjectList<Inventory>(pid, 'inventory');
  const envs = useProjectList<Environment>(pid, 'environment');
  const views = useProjectList<View>(pid, 'views');
  const keys = useProjectList<Key>(pid, 'keys');
  const templates = useProjectList<Template>(pid, 'templates');
  const app = apps.data?.find((a) => a.id === f.app);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF((x) => ({ ...x, [k]: v }));
  useEffect(() => {
    if (!f.app && apps.data?.length) set('app', apps.data.find((a) => a.id === 'bash')?.id ?? apps.data[0].id);
  }, [apps.data, f.app]);
  const params = f.params ?? schemaDefaults(app?.template_schema);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      const body = bodyOf(f, pid, params, template);
      if (template) { await api.put(`/project/${pid}/templates/${template.id}`, body); return template.id; }
      return (await api.post<Template>(`/project/${pid}/templates`, body)).id;
    },
    onSuccess: () => { qc.invalidateQueries({ queryKey: ['project', pid, 'templates'] }); navigate(`/project/${pid}/templates`); },
  });
  const del = useMutation({
    mutationFn: () => api.del(`/project/${pid}/templates/${template!.id}`),
    onSuccess: () => { qc.invalidateQueries({ queryKey: ['project', pid, 'templates'] }); navigate(`/project/${pid}/templates`); },
  });
  const setVar = (i: number, v: Partial<SurveyVar>) => set('survey_vars', f.survey_vars.map((x, j) => (j === i ? { ...x, ...v } : x)));
  const setVault = (i: number, v: Partial<VaultRow>) => set('vaults', f.vaults.map((x, j) => (j === i ? { ...x, ...v } : x)));
  // Vault passwords are the passwords of "login and password" keys (and of any key a vault already names).
  const vaultKeys = (keys.data ?? []).filter((k) => k.type === 'login_password' || f.vaults.some((v) => v.vault_key_id === String(k.id)));
  const builds = (templates.data ?? []).filter((t) => t.type === 'build' && t.id !== template?.id);
  const showVaults = f.app === 'ansible' || f.vaults.length > 0;
  return (
    <Stack maw={900}>
      <Group justify="space-between">
        <Title order={2}>{template ? `Template: ${template.name}` : 'New template'}</Title>
        {template && <Button onClick={() => setRunning(true)}>Run</Button>}
      </Group>
      <Paper withBorder p="lg">
        <form onSubmit={(e) => { e.preventDefault(); if (!f.vaults.some(vaultProblem)) save.mutate(); }}>
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Name" required value={f.name} onChange={(e) => set('name', e.currentTarget.value)} />
              <Select label="App" required value={f.app || null} allowDeselect={false}
                description={app?.description}
                data={(apps.data ?? []).map((a) => ({ value: a.id, label: a.title || a.id }))}
                onChange={(v) => setF((x) => ({ ...x, app: v ?? '', params: null }))}
                nothingFoundMessage="No executor plugin is installed" />
            </SimpleGrid>
            <Select label="View" clearable description="The tab of the templates list that shows it (besides “All”)"
              data={sortViews(views.data ?? []).map((v) => ({ value: String(v.id), label: v.title }))} value={f.view_id || null}
              onChange={(v) => set('view_id', v ?? '')} nothingFoundMessage="No views: add them with “Manage views” on the templates list" />
            <Textarea label="Description" autosize minRows={1} value={f.description} onChange={(e) => set('description', e.currentTarget.value)} />
            <TextInput label="Playbook or script" required placeholder="site.yml, deploy.sh" description="A path inside the repository"
              value={f.playbook} onChange={(e) => set('playbook', e.currentTarget.value)} />
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <Select label="Repository" required data={opt(repos.data)} value={f.repository_id || null}
                onChange={(v) => set('repository_id', v ?? '')} nothingFoundMessage="Add a repository first" />
              <Select label="Inventory" clearable data={opt(invs.data)} value={f.inventory_id || null}
                onChange={(v) => set('inventory_id', v ?? '')} />
              <Select label="Environment" clearable data={opt(envs.data)} value={f.environment_id || null}
                onChange={(v) => set('environment_id', v ?? '')} />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Arguments" description='A JSON list, e.g. ["--check"]' styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                value={f.arguments} onChange={(e) => set('arguments', e.currentTarget.value)} />
              <NumberInput label="Timeout (seconds)" description="0 or empty: no timeout" min={0} allowDecimal={false}
                value={f.timeout} onChange={(v) => set('timeout', typeof v === 'number' ? v : '')} />
            </SimpleGrid>
            <Checkbox label="Allow overriding the arguments when running" checked={f.allow_override_args_in_task}
              onChange={(e) => set('allow_override_args_in_task', e.currentTarget.checked)} />
            <Divider label="Build and deploy" labelPosition="left" />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select label="Template type" allowDeselect={false} value={f.type}
                description={typeHelp[f.type]}
                data={[{ value: '', label: 'Task' }, { value: 'build', label: 'Build' }, { value: 'deploy', label: 'Deploy' }]}
                onChange={(v) => set('type', (v ?? '') as TemplateType)} />
              {f.type === 'build' && (
                <TextInput label="Start version" placeholder="1.0.0" description="The first build's version; each build adds one to its last number"
                  value={f.start_version} onChange={(e) => set('start_version', e.currentTarget.value)} />
              )}
              {f.type === 'deploy' && (
                <Select label="Build template" required description="The template whose builds this one deploys"
                  data={builds.map((t) => ({ value: String(t.id), label: t.name }))} value={f.build_template_id || null}
                  onChange={(v) => set('build_template_id', v ?? '')} nothingFoundMessage="No build templates: set a template's type to Build first" />
              )}
            </SimpleGrid>
            {f.type === 'deploy' && (
              <Checkbox label="Deploy automatically after each successful build" checked={f.autorun}
                onChange={(e) => set('autorun', e.currentTarget.checked)} />
            )}
            <Divider label={`${app?.title ?? 'App'} parameters`} labelPosition="left" />
            <SchemaForm schema={app?.template_schema} value={params} onChange={(v) => set('params', v)} idPrefix="template-param" />
            {showVaults && (
              <>
                <Divider label="Vault passwords" labelPosition="left" />
                <Text size="sm" c="dimmed">Each opens the Ansible vaults of its vault ID (empty: the default one), with the password
                  of a key of type “Login and password”, or with a script in the repository that prints it.</Text>
                {f.vaults.map((v, i) => (
                  <Group key={i} align="flex-start" gap="xs" wrap="nowrap" role="group" aria-label={`Vault ${i + 1}`}>
                    <TextInput label="Vault ID" placeholder="default" w={170} value={v.name} error={vaultProblem(v)}
                      onChange={(e) => setVault(i, { name: e.currentTarget.value })} />
                    <Select label="Password from" w={140} allowDeselect={false} value={v.type}
                      data={[{ value: 'password', label: 'A key' }, { value: 'script', label: 'A script' }]}
                      onChange={(t) => setVault(i, { type: t === 'script' ? 'script' : 'password' })} />
                    {v.type === 'password' ? (
                      <Select label="Vault password key" required style={{ flex: 1 }} value={v.vault_key_id || null}
                        data={vaultKeys.map((k) => ({ value: String(k.id), label: k.name }))}
                        onChange={(k) => setVault(i, { vault_key_id: k ?? '' })}
                        nothingFoundMessage="No key of type “Login and password”: add one under Keys" />
                    ) : (
                      <TextInput label="Script path" required placeholder="scripts/vault-pass.sh" style={{ flex: 1 }}
                        description="In the repository" value={v.script} onChange={(e) => setVault(i, { script: e.currentTarget.value })} />
                    )}
                    <ActionIcon variant="subtle" color="red" mt={28} aria-label={`Remove vault ${i + 1}`}
                      onClick={() => set('vaults', f.vaults.filter((_, j) => j !== i))}>✕</ActionIcon>
                  </Group>
                ))}
                <Group><Button size="xs" variant="light"
                  onClick={() => set('vaults', [...f.vaults, { name: '', type: 'password', vault_key_id: '', script: '' }])}>Add vault</Button></Group>
              </>
            )}
            <Divider label="Survey variables (asked when running)" labelPosition="left" />
            {f.survey_vars.length === 0 && <Text size="sm" c="dimmed">None. Add one to ask for a value at each run; answers arrive as extra variables.</Text>}
            {f.survey_vars.map((v, i) => (
              <Group key={i} align="flex-end" gap="xs" wrap="nowrap">
                <TextInput label="Variable" required value={v.name} onChange={(e) => setVar(i, { name: e.currentTarget.value })} />
                <TextInput label="Title" value={v.title} onChange={(e) => setVar(i, { title: e.currentTarget.value })} />
                <Select label="Type" w={110} allowDeselect={false} value={v.type || 'string'}
                  data={[{ value: 'string', label: 'string' }, { value: 'int', label: 'integer' }, { value: 'secret', label: 'secret' }, { value: 'enum', label: 'choice' }]}
                  onChange={(t) => setVar(i, { type: (t === 'string' ? '' : t) as SurveyVar['type'] })} />
                {v.type === 'enum' && <TextInput label="Choices" description="comma separated" value={(v.values ?? []).map((o) => o.value).join(',')}
                  onChange={(e) => setVar(i, { values: e.currentTarget.value.split(',').map((s) => ({ name: s.trim(), value: s.trim() })) })} />}
                <Checkbox label="Required" mb={8} checked={v.required} onChange={(e) => setVar(i, { required: e.currentTarget.checked })} />
                <ActionIcon variant="subtle" color="red" mb={4} aria-label={`Remove variable ${v.name}`}
                  onClick={() => set('survey_vars', f.survey_vars.filter((_, j) => j !== i))}>✕</ActionIcon>
              </Group>
            ))}
            <Group><Button size="xs" variant="light" onClick={() => set('survey_vars', [...f.survey_vars, { name: '', title: '', type: '', required: false }])}>Add variable</Button></Group>
            <ErrorAlert error={save.error ?? del.error} title="Could not save the template" />
            <Group justify="space-between">
              {template ? <Button color="red" variant="subtle" loading={del.isPending}
                onClick={() => window.confirm(`Delete template “${template.name}”?`) && del.mutate()}>Delete template</Button> : <span />}
              <Group>
                <Button variant="default" onClick={() => navigate(`/project/${pid}/templates`)}>Cancel</Button>
                <Button type="submit" loading={save.isPending}>{template ? 'Save' : 'Create'}</Button>
              </Group>
            </Group>
          </Stack>
        </form>
      </Paper>
      {running && template && <RunDialog template={template} onClose={() => setRunning(false)} />}
    </Stack>
  );
}

const typeHelp: Record<TemplateType, string> = {
  '': 'Runs a task, nothing more',
  build: 'Each successful run is a build with a version',
  deploy: 'Runs deploy a build of a build template',
};
