// SchemaForm renders the parameters an executor plugin describes with a
// JSON Schema (GET /api/apps: template_schema, task_schema) as form fields:
// booleans → switches, strings → text inputs, integers and numbers → number
// inputs, arrays of strings → tag inputs, enums → selects. Anything else is
// edited as JSON.
import { NumberInput, Select, Stack, Switch, TagsInput, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { JSONSchema } from './api';

export type Values = Record<string, unknown>;

function typeOf(s: JSONSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  return s.type;
}

/** fieldKind says which control a property gets. */
export function fieldKind(s: JSONSchema): 'enum' | 'boolean' | 'string' | 'number' | 'tags' | 'json' {
  if (Array.isArray(s.enum) && s.enum.length > 0) return 'enum';
  const t = typeOf(s);
  if (t === 'boolean') return 'boolean';
  if (t === 'string') return 'string';
  if (t === 'integer' || t === 'number') return 'number';
  if (t === 'array' && s.items && typeOf(s.items) === 'string') return 'tags';
  return 'json';
}

/** schemaDefaults returns the schema's default values, for a new form. */
export function schemaDefaults(schema: JSONSchema | null | undefined): Values {
  const out: Values = {};
  for (const [k, p] of Object.entries(schema?.properties ?? {})) {
    if (p.default !== undefined) out[k] = p.default;
  }
  return out;
}

interface Props {
  schema: JSONSchema | null | undefined;
  value: Values;
  onChange: (v: Values) => void;
  /** idPrefix keeps the fields' ids unique when two forms share a page. */
  idPrefix?: string;
}

export function SchemaForm({ schema, value, onChange, idPrefix = 'param' }: Props) {
  const props = Object.entries(schema?.properties ?? {});
  if (props.length === 0) {
    return <Text size="sm" c="dimmed">This app has no parameters here.</Text>;
  }
  const set = (k: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next);
  };
  const required = new Set(schema?.required ?? []);
  return (
    <Stack gap="sm">
      {props.map(([name, s]) => (
        <Field key={name} id={`${idPrefix}-${name}`} name={name} schema={s} required={required.has(name)}
          value={value[name]} onChange={(v) => set(name, v)} />
      ))}
    </Stack>
  );
}

function Field({ id, name, schema, required, value, onChange }: {
  id: string; name: string; schema: JSONSchema; required: boolean; value: unknown; onChange: (v: unknown) => void;
}) {
  const label = schema.title ?? name;
  const description = schema.description;
  const common = { id, label, description, required };
  switch (fieldKind(schema)) {
    case 'boolean':
      return <Switch id={id} label={label} description={description}
        checked={value === undefined ? schema.default === true : value === true}
        onChange={(e) => onChange(e.currentTarget.checked)} />;
    case 'enum':
      return <Select {...common} data={schema.enum!.map((v) => ({ value: String(v), label: String(v) }))}
        value={value === undefined ? null : String(value)} clearable={!required}
        onChange={(v) => onChange(v === null ? undefined : schema.enum!.find((e) => String(e) === v))} />;
    case 'string':
      return <TextInput {...common} value={typeof value === 'string' ? value : ''}
        placeholder={typeof schema.default === 'string' ? schema.default : undefined}
        onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'number':
      return <NumberInput {...common} value={typeof value === 'number' ? value : ''}
        allowDecimal={typeOf(schema) !== 'integer'} min={schema.minimum} max={schema.maximum}
        onChange={(v) => onChange(typeof v === 'number' ? v : undefined)} />;
    case 'tags':
      return <TagsInput {...common} value={Array.isArray(value) ? value.map(String) : []}
        placeholder="Type and press Enter" onChange={(v) => onChange(v.length ? v : undefined)} />;
    default:
      return <JSONField {...common} value={value} onChange={onChange} />;
  }
}

function JSONField({ id, label, description, required, value, onChange }: {
  id: string; label: string; description?: string; required: boolean; value: unknown; onChange: (v: unknown) => void;
}) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [error, setError] = useState<string | null>(null);
  return <Textarea id={id} label={label} description={description ?? 'JSON'} required={required} value={text}
    autosize minRows={2} error={error} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
    onChange={(e) => setText(e.currentTarget.value)}
    onBlur={() => {
      if (text.trim() === '') { setError(null); onChange(undefined); return; }
      try { onChange(JSON.parse(text)); setError(null); } catch { setError('Not valid JSON'); }
    }} />;
}
