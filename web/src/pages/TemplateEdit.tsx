// Create or edit a template. The app's own template parameters are rendered
// from the JSON Schema its plugin describes (GET /api/apps).
import { ActionIcon, Button, Checkbox, Divider, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, type Environment, type Inventory, type Repository, type SurveyVar, type Template, type View } from '../api';
import { sortViews } from '../views';
import { SchemaForm, schemaDefaults, type Values } from '../SchemaForm';
import { ErrorAlert, Loading, useProjectId } from '../ui';
import { useProjectList } from './Resources';
import { RunDialog, useApps } from './Run';

interface Form {
  name: string; description: string; app: string; playbook: string; repository_id: string; inventory_id: string;
  environment_id: string; arguments: string; timeout: number | ''; params: Values | null; survey_vars: SurveyVar[];
  allow_override_args_in_task: boolean; view_id: string;
}

const blank: Form = {
  name: '', description: '', app: '', playbook: '', repository_id: '', inventory_id: '', environment_id: '',
  arguments: '', timeout: '', params: null, survey_vars: [], allow_override_args_in_task: false, view_id: '',
};

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
  const [f, setF] = useState<Form>(() => template ? {
    name: template.name, description: template.description, app: template.app, playbook: template.playbook,
    repository_id: String(template.repository_id || ''), inventory_id: String(template.inventory_id ?? ''),
    environment_id: String(template.environment_id ?? ''), arguments: template.arguments ?? '',
    timeout: template.timeout || '', params: template.task_params ?? {}, survey_vars: template.survey_vars ?? [],
    allow_override_args_in_task: !!template.allow_override_args_in_task, view_id: String(template.view_id ?? ''),
  } : blank);
  const [running, setRunning] = useState(false);
  const apps = useApps();
  const repos = useProjectList<Repository>(pid, 'repositories');
  const invs = useProjectList<Inventory>(pid, 'inventory');
  const envs = useProjectList<Environment>(pid, 'environment');
  const views = useProjectList<View>(pid, 'views');
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
      const body = {
        ...(template ? { id: template.id } : {}), project_id: pid, name: f.name, description: f.description, app: f.app,
        playbook: f.playbook, repository_id: Number(f.repository_id) || 0, inventory_id: Number(f.inventory_id) || 0,
        environment_id: Number(f.environment_id) || 0, arguments: f.arguments.trim() || undefined,
        timeout: f.timeout || 0, task_params: params, survey_vars: f.survey_vars,
        allow_override_args_in_task: f.allow_override_args_in_task, type: template?.type ?? '',
        view_id: Number(f.view_id) || 0,
      };
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
  return (
    <Stack maw={900}>
      <Group justify="space-between">
        <Title order={2}>{template ? `Template: ${template.name}` : 'New template'}</Title>
        {template && <Button onClick={() => setRunning(true)}>Run</Button>}
      </Group>
      <Paper withBorder p="lg">
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
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
            <Divider label={`${app?.title ?? 'App'} parameters`} labelPosition="left" />
            <SchemaForm schema={app?.template_schema} value={params} onChange={(v) => set('params', v)} idPrefix="template-param" />
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
