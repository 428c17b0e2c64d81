// A small client for Signalbox's REST API (docs/api.md). Every error answer
// is {"error": "..."}; request() turns it into an ApiError whose message is
// that text, and reports a 401 to the handler set by onUnauthorized.

export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorized: (() => void) | null = null;

/** onUnauthorized sets what happens when the API answers 401 (outside login). */
export function onUnauthorized(fn: (() => void) | null) {
  unauthorized = fn;
}

/** errorMessage reads the readable message of an error answer. */
export async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      const body = JSON.parse(text);
      if (body && typeof body.error === 'string' && body.error) return body.error;
    } catch {
      // not JSON: use the text itself if it is short
      if (text.length < 300) return text.trim();
    }
  }
  if (res.status === 401) return 'You are not logged in, or your session has expired.';
  if (res.status === 403) return 'Your role in this project does not allow this.';
  if (res.status === 404) return 'Not found.';
  return `Request failed: ${res.status} ${res.statusText}`.trim();
}

export async function request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/api' + path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach the Signalbox server.');
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/auth/login' && unauthorized) unauthorized();
    if (res.status === 401 && path === '/auth/login') throw new ApiError(401, 'Wrong login or password.');
    throw new ApiError(res.status, await errorMessage(res));
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('application/json')) return (await res.json()) as T;
  return (await res.text()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
  del: <T>(path: string) => request<T>('DELETE', path),
};

// The API's JSON shapes (docs/api.md, core/api/dto.go).

export interface User { id: number; username: string; name: string; email: string; admin: boolean; created?: string }
/** An API token as listed: a short id, never the token itself. */
export interface ApiToken { id: string; created: string; expired: boolean; user_id?: number }
export interface View { id: number; project_id: number; title: string; position: number }
export type AuthMethod = 'none' | 'token' | 'hmac' | 'github' | 'gitlab' | 'basic';
export interface Integration {
  id: number; name: string; project_id: number; template_id: number; auth_method: AuthMethod; auth_header: string;
  searchable: boolean; task_params: Record<string, unknown> | null;
}
export interface IntegrationAlias { id: number; project_id: number; integration_id: number | null; alias: string; url: string }
export interface Project { id: number; name: string; created: string; max_parallel_tasks: number }
export interface Key { id: number; name: string; type: string; project_id: number }
export interface Repository { id: number; name: string; project_id: number; git_url: string; git_branch: string; ssh_key_id: number }
export interface Inventory { id: number; name: string; project_id: number; inventory: string; type: string; ssh_key_id?: number; become_key_id?: number }
export interface EnvSecret { id: number; name: string; type: string }
export interface Environment { id: number; name: string; project_id: number; json: string; env: string; secrets?: EnvSecret[] }
export interface SurveyVar {
  name: string; title: string; description?: string; type: '' | 'int' | 'secret' | 'enum'; required: boolean;
  values?: { name: string; value: string }[];
}
/** A vault password of a template: a login_password key's password, or a script in the repository. */
export interface TemplateVault { id?: number; name: string; type: 'password' | 'script'; vault_key_id: number | null; script?: string }
/** A template's type: a plain task, a build (versioned) or a deploy (of a build template's builds). */
export type TemplateType = '' | 'build' | 'deploy';
export interface Template {
  id: number; project_id: number; name: string; description: string; app: string; playbook: string;
  repository_id: number; inventory_id?: number; environment_id?: number; arguments?: string;
  task_params: Record<string, unknown>; survey_vars: SurveyVar[] | null; timeout: number; type: TemplateType;
  git_branch?: string; limit?: string; allow_override_args_in_task?: boolean; view_id?: number;
  vaults?: TemplateVault[] | null; start_version?: string; build_template_id?: number; autorun?: boolean;
}
export type TaskStatus =
  | 'waiting' | 'starting' | 'running' | 'waiting_confirmation' | 'stopping'
  | 'success' | 'error' | 'stopped' | 'rejected';
export interface Task {
  id: number; template_id: number; project_id: number; status: TaskStatus; created: string;
  start: string | null; end: string | null; message: string; exit_code?: number; attempt: number;
  environment: string; user_id?: number;
  /** What the executor reported: an Ansible recap, a Terraform change summary. */
  summary?: Record<string, unknown>;
}
export interface OutputLine { task_id: number; seq: number; time: string; output: string }
export interface App {
  id: string; title: string; description: string; version: string; plugin: string; plugin_version: string;
  template_schema: JSONSchema | null; task_schema: JSONSchema | null; active: boolean;
}
export interface JSONSchema {
  type?: string | string[]; title?: string; description?: string; default?: unknown; enum?: unknown[];
  properties?: Record<string, JSONSchema>; required?: string[]; items?: JSONSchema;
  minimum?: number; maximum?: number;
}
export interface Member { id: number; name: string; username: string; email: string; role: string }
export interface Schedule {
  id: number; project_id: number; template_id: number; cron_format: string; name: string; active: boolean;
  type: string; run_at: string | null;
}

export const finished = (s: TaskStatus) => s === 'success' || s === 'error' || s === 'stopped' || s === 'rejected';
