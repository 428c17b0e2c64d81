import { MantineProvider } from '@mantine/core';
import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import type { JSONSchema } from './api';
import { SchemaForm, fieldKind, schemaDefaults, type Values } from './SchemaForm';

const byId = (id: string) => document.getElementById(id) as HTMLInputElement;

const schema: JSONSchema = {
  type: 'object',
  required: ['host'],
  properties: {
    debug: { type: 'boolean', default: false, description: 'Run with -x.' },
    host: { type: 'string', title: 'Host name' },
    retries: { type: 'integer', default: 2 },
    interpreter_args: { type: 'array', items: { type: 'string' } },
    level: { type: 'string', enum: ['low', 'high'] },
    extra: { type: 'object' },
  },
};

function Harness({ onValue }: { onValue: (v: Values) => void }) {
  const [v, setV] = useState<Values>(schemaDefaults(schema));
  return (
    <MantineProvider>
      <SchemaForm schema={schema} value={v} onChange={(n) => { setV(n); onValue(n); }} />
    </MantineProvider>
  );
}

describe('fieldKind', () => {
  it('maps schema types to controls', () => {
    expect(fieldKind({ type: 'boolean' })).toBe('boolean');
    expect(fieldKind({ type: 'string' })).toBe('string');
    expect(fieldKind({ type: ['integer', 'null'] })).toBe('number');
    expect(fieldKind({ type: 'array', items: { type: 'string' } })).toBe('tags');
    expect(fieldKind({ type: 'string', enum: ['a'] })).toBe('enum');
    expect(fieldKind({ type: 'array', items: { type: 'object' } })).toBe('json');
  });
});

describe('schemaDefaults', () => {
  it('collects defaults', () => {
    expect(schemaDefaults(schema)).toEqual({ debug: false, retries: 2 });
    expect(schemaDefaults(null)).toEqual({});
  });
});

describe('SchemaForm', () => {
  it('renders a labelled control for each property', () => {
    render(<Harness onValue={() => {}} />);
    expect(screen.getByLabelText(/^debug/)).toBeTruthy();
    expect(screen.getByLabelText(/Host name/)).toBeTruthy();
    expect((screen.getByLabelText('retries') as HTMLInputElement).value).toBe('2');
    expect(byId('param-interpreter_args')).toBeTruthy();
    expect(screen.getAllByText('interpreter_args').length).toBeGreaterThan(0);
    expect(screen.getByText('Run with -x.')).toBeTruthy();
    expect(byId('param-level')).toBeTruthy();
    expect(screen.getByLabelText('extra')).toBeTruthy();
  });

  it('reports typed values as the user edits', () => {
    let last: Values = {};
    render(<Harness onValue={(v) => (last = v)} />);
    fireEvent.click(screen.getByLabelText(/^debug/));
    expect(last.debug).toBe(true);
    fireEvent.change(screen.getByLabelText(/Host name/), { target: { value: 'web1' } });
    expect(last.host).toBe('web1');
    fireEvent.change(screen.getByLabelText('extra'), { target: { value: '{"a": 1}' } });
    fireEvent.blur(screen.getByLabelText('extra'));
    expect(last.extra).toEqual({ a: 1 });
    fireEvent.change(screen.getByLabelText(/Host name/), { target: { value: '' } });
    expect('host' in last).toBe(false);
  });

  it('shows an array of strings as tags', () => {
    render(<MantineProvider><SchemaForm schema={schema} value={{ interpreter_args: ['-e', '-u'] }} onChange={() => {}} /></MantineProvider>);
    expect(screen.getByText('-e')).toBeTruthy();
    expect(screen.getByText('-u')).toBeTruthy();
  });

  it('says so when the app has no parameters', () => {
    render(<MantineProvider><SchemaForm schema={{ type: 'object', properties: {} }} value={{}} onChange={() => {}} /></MantineProvider>);
    expect(screen.getByText(/no parameters/)).toBeTruthy();
  });
});
