import { describe, expect, it } from 'vitest';
import type { Template } from './api';
import { blankTemplate, bodyOf, formOf, vaultProblem } from './templateform';

const saved: Template = {
  id: 7, project_id: 1, name: 'deploy app', description: '', app: 'ansible', playbook: 'site.yml', repository_id: 2,
  task_params: {}, survey_vars: [], timeout: 0, type: 'deploy', build_template_id: 5, autorun: true,
  vaults: [
    { id: 1, name: 'prod', type: 'password', vault_key_id: 3 },
    { id: 2, name: '', type: 'script', vault_key_id: null, script: 'vault.sh' },
  ],
};

describe('template form', () => {
  it('saves what it loaded: vaults and deploy settings round-trip', () => {
    const body = bodyOf(formOf(saved), 1, {}, saved);
    expect(body).toMatchObject({
      id: 7, type: 'deploy', build_template_id: 5, autorun: true, start_version: undefined,
      vaults: [
        { id: 1, name: 'prod', type: 'password', vault_key_id: 3 },
        { id: 2, name: '', type: 'script', vault_key_id: null, script: 'vault.sh' },
      ],
    });
    const again = formOf({ ...saved, ...(body as Partial<Template>) });
    expect(again).toEqual(formOf(saved));
  });
  it('sends only the settings of the chosen type', () => {
    const f = { ...blankTemplate, type: 'build' as const, start_version: ' 2.0.0 ', build_template_id: '5', autorun: true };
    expect(bodyOf(f, 1, {})).toMatchObject({ type: 'build', start_version: '2.0.0', build_template_id: 0, autorun: false });
    expect(bodyOf({ ...f, type: '' }, 1, {})).toMatchObject({ type: '', start_version: undefined, build_template_id: 0, autorun: false });
  });
  it('checks vault ids as the Ansible plugin does', () => {
    const v = { name: 'prod-1.a', type: 'password' as const, vault_key_id: '1', script: '' };
    expect(vaultProblem(v)).toBeNull();
    expect(vaultProblem({ ...v, name: '' })).toBeNull();
    expect(vaultProblem({ ...v, name: '-x' })).not.toBeNull();
    expect(vaultProblem({ ...v, name: 'a b' })).not.toBeNull();
  });
});
