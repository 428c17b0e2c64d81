import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, onUnauthorized } from './api';

function respond(status: number, body: string, type = 'application/json') {
  const fetchMock = vi.fn(async () => new Response(status === 204 ? null : body, { status, headers: { 'Content-Type': type } }));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthorized(null);
});

describe('api client', () => {
  it('returns parsed JSON and sends JSON bodies to /api', async () => {
    const f = respond(201, '{"id":7,"name":"demo"}');
    await expect(api.post('/projects', { name: 'demo' })).resolves.toEqual({ id: 7, name: 'demo' });
    expect(f).toHaveBeenCalledWith('/api/projects', expect.objectContaining({ method: 'POST', body: '{"name":"demo"}' }));
  });
  it('returns undefined for 204', async () => {
    respond(204, '');
    await expect(api.del('/project/1')).resolves.toBeUndefined();
  });
  it('turns {"error"} into an ApiError with that message and status', async () => {
    respond(409, '{"error":"repository is used by template \\"deploy\\""}');
    const err = await api.del('/project/1/repositories/2').then(() => { throw new Error("no error"); }, (e: ApiError) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.message).toBe('repository is used by template "deploy"');
  });
  it('falls back to a readable message when the body is not JSON', async () => {
    respond(502, '', 'text/plain');
    const err = await api.get('/projects').then(() => { throw new Error("no error"); }, (e: ApiError) => e);
    expect(err.message).toMatch(/502/);
  });
  it('reports a 401 to the unauthorized handler', async () => {
    respond(401, '{"error":"not logged in"}');
    const handler = vi.fn();
    onUnauthorized(handler);
    await expect(api.get('/user')).rejects.toMatchObject({ status: 401 });
    expect(handler).toHaveBeenCalledOnce();
  });
  it('does not redirect on a failed login, and says why', async () => {
    respond(401, '');
    const handler = vi.fn();
    onUnauthorized(handler);
    await expect(api.post('/auth/login', { auth: 'a', password: 'b' })).rejects.toThrow('Wrong login or password.');
    expect(handler).not.toHaveBeenCalled();
  });
  it('says when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(api.get('/projects')).rejects.toMatchObject({ status: 0, message: 'Cannot reach the Signalbox server.' });
  });
});
