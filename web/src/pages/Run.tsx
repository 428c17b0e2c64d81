// The run dialog: the template's survey variables (typed, required) and the
// app's task parameters, then POST …/tasks and on to the task view.
import { Button, Group, Modal, NumberInput, PasswordInput, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, type App, type Task, type Template } from '../api';
import { SchemaForm, schemaDefaults, type Values } from '../SchemaForm';
import { ErrorAlert } from '../ui';

export function useApps() {
  return useQuery({ queryKey: ['apps'], queryFn: () => api.get<App[]>('/apps'), staleTime: 60_000 });
}

export function RunDialog({ template, onClose }: { template: Template; onClose: () => void }) {
  const apps = useApps();
  const app = apps.data?.find((a) => a.id === template.app);
  const survey = template.survey_vars ?? [];
  const [answers, setAnswers] = useState<Record<string, string | number>>({});
  const [params, setParams] = useState<Values | null>(null);
  const [message, setMessage] = useState('');
  const [args, setArgs] = useState('');
  const navigate = useNavigate();
  const taskParams = params ?? schemaDefaults(app?.task_schema);
  const run = useMutation({
    mutationFn: () => {
      const env: Record<string, unknown> = {};
      for (const v of survey) {
        const a = answers[v.name];
        if (a !== undefined && a !== '') env[v.name] = a;
      }
      const body: Record<string, unknown> = { template_id: template.id, message, params: taskParams };
      if (Object.keys(env).length) body.environment = JSON.stringify(env);
      if (args.trim()) body.arguments = args;
      return api.post<Task>(`/project/${template.project_id}/tasks`, body);
    },
    onSuccess: (t) => navigate(`/project/${template.project_id}/tasks/${t.id}`),
  });
  const hasTaskParams = Object.keys(app?.task_schema?.properties ?? {}).length > 0;
  return (
    <Modal opened onClose={onClose} title={`Run ${template.name}`} size="lg">
      <form onSubmit={(e) => { e.preventDefault(); run.mutate(); }}>
        <Stack>
          {survey.map((v) => {
            const common = { key: v.name, label: v.title || v.name, description: v.description, required: v.required };
            const set = (x: string | number) => setAnswers((a) => ({ ...a, [v.name]: x }));
            if (v.type === 'int') return <NumberInput {...common} allowDecimal={false} value={answers[v.name] ?? ''} onChange={(x) => set(typeof x === 'number' ? x : '')} />;
            if (v.type === 'secret') return <PasswordInput {...common} autoComplete="off" value={String(answers[v.name] ?? '')} onChange={(e) => set(e.currentTarget.value)} />;
            if (v.type === 'enum') return <Select {...common} data={(v.values ?? []).map((o) => ({ value: o.value, label: o.name || o.value }))} value={answers[v.name] === undefined ? null : String(answers[v.name])} onChange={(x) => set(x ?? '')} />;
            return <TextInput {...common} value={String(answers[v.name] ?? '')} onChange={(e) => set(e.currentTarget.value)} />;
          })}
          {hasTaskParams && (
            <>
              <Text fw={500} size="sm">{app?.title ?? template.app} options</Text>
              <SchemaForm schema={app?.task_schema} value={taskParams} onChange={setParams} idPrefix="task-param" />
            </>
          )}
          {template.allow_override_args_in_task && (
            <Textarea label="Arguments (JSON list)" placeholder='["--verbose"]' value={args} onChange={(e) => setArgs(e.currentTarget.value)} />
          )}
          <TextInput label="Message" description="Optional: why you run it" value={message} onChange={(e) => setMessage(e.currentTarget.value)} />
          <ErrorAlert error={run.error} title="Could not start the task" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={run.isPending} data-autofocus>Run</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
