// The template form's state, and its conversion from and to the API's
// template (POST/PUT /project/{id}/templates; core/api/dto.go templateDTO).
import type { SurveyVar, Template, TemplateType, TemplateVault } from './api';
import type { Values } from './SchemaForm';

/** VaultRow is a vault as the form edits it; ids are strings, as Select gives them. */
export interface VaultRow { id?: number; name: string; type: 'password' | 'script'; vault_key_id: string; script: string }

export interface TemplateForm {
  name: string; description: string; app: string; playbook: string; repository_id: string; inventory_id: string;
  environment_id: string; arguments: string; timeout: number | ''; params: Values | null; survey_vars: SurveyVar[];
  allow_override_args_in_task: boolean; view_id: string;
  type: TemplateType; start_version: string; build_template_id: string; autorun: boolean; vaults: VaultRow[];
}

export const blankTemplate: TemplateForm = {
  name: '', description: '', app: '', playbook: '', repository_id: '', inventory_id: '', environment_id: '',
  arguments: '', timeout: '', params: null, survey_vars: [], allow_override_args_in_task: false, view_id: '',
  type: '', start_version: '', build_template_id: '', autorun: false, vaults: [],
};

const idString = (n: number | null | undefined) => (n ? String(n) : '');

/** formOf fills the form from a saved template. */
export function formOf(t: Template): TemplateForm {
  return {
    name: t.name, description: t.description, app: t.app, playbook: t.playbook,
    repository_id: idString(t.repository_id), inventory_id: idString(t.inventory_id),
    environment_id: idString(t.environment_id), arguments: t.arguments ?? '',
    timeout: t.timeout || '', params: t.task_params ?? {}, survey_vars: t.survey_vars ?? [],
    allow_override_args_in_task: !!t.allow_override_args_in_task, view_id: idString(t.view_id),
    type: t.type || '', start_version: t.start_version ?? '', build_template_id: idString(t.build_template_id),
    autorun: !!t.autorun,
    vaults: (t.vaults ?? []).map((v) => ({
      ...(v.id ? { id: v.id } : {}), name: v.name ?? '', type: v.type === 'script' ? 'script' : 'password',
      vault_key_id: idString(v.vault_key_id), script: v.script ?? '',
    })),
  };
}

/** vaultsOf turns the form's vaults into the API's: a password vault names a key, a script vault a path. */
export function vaultsOf(rows: readonly VaultRow[]): TemplateVault[] {
  return rows.map((v) => ({
    ...(v.id ? { id: v.id } : {}), name: v.name.trim(), type: v.type,
    vault_key_id: v.type === 'password' ? Number(v.vault_key_id) || null : null,
    ...(v.type === 'script' ? { script: v.script.trim() } : {}),
  }));
}

/** bodyOf is the request body that saves the form (params: the app's parameters as shown). */
export function bodyOf(f: TemplateForm, pid: number, params: Values, template?: Template): Record<string, unknown> {
  return {
    ...(template ? { id: template.id } : {}), project_id: pid, name: f.name, description: f.description, app: f.app,
    playbook: f.playbook, repository_id: Number(f.repository_id) || 0, inventory_id: Number(f.inventory_id) || 0,
    environment_id: Number(f.environment_id) || 0, arguments: f.arguments.trim() || undefined,
    timeout: f.timeout || 0, task_params: params, survey_vars: f.survey_vars,
    allow_override_args_in_task: f.allow_override_args_in_task, view_id: Number(f.view_id) || 0,
    type: f.type, vaults: vaultsOf(f.vaults),
    // Only what the type uses; the server clears the rest.
    start_version: f.type === 'build' && f.start_version.trim() ? f.start_version.trim() : undefined,
    build_template_id: f.type === 'deploy' ? Number(f.build_template_id) || 0 : 0,
    autorun: f.type === 'deploy' && f.autorun,
  };
}

/** VAULT_ID is what a vault id may look like (the Ansible plugin's rule). */
export const VAULT_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** vaultProblem says what is wrong with a vault row, or null. */
export function vaultProblem(v: VaultRow): string | null {
  if (v.name.trim() && !VAULT_ID.test(v.name.trim())) return 'Letters, digits, “_”, “.” and “-”; not starting with “.” or “-”';
  return null;
}
