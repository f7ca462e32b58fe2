/**
 * The permission table (access/permissions.ts) covers the API: every route of the OpenAPI
 * document has a row, and every row (but webhooks and MCP, served outside the document)
 * names a route that exists, so the table and the API cannot drift apart unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { ROUTE_RULES, ruleFor, toolRule, TOOL_RULES } from '../access/permissions.js';
import { openApiDocument } from './api.js';

const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
const routes = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));

describe('the permission table', () => {
  it('has a row for every route of the API', () => {
    const missing = routes.filter((r) => ruleFor(r.method, r.path.replace(/\{[^}]+\}/g, 'x')) === undefined).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('names only routes the API has (webhooks, MCP and /metrics aside)', () => {
    const known = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const stale = ROUTE_RULES.filter((rule) => !rule.path.includes('hooks') && rule.path !== '/mcp' && rule.path !== '/api/openapi.json' && rule.path !== '/metrics' && !known.has(`${rule.method} ${rule.path}`)).map((rule) => `${rule.method} ${rule.path}`);
    expect(stale).toEqual([]);
  });

  it('refuses what it does not list', () => {
    expect(ruleFor('GET', '/api/secrets')).toBeUndefined();
    expect(ruleFor('PUT', '/api/runs/x')).toBeUndefined();
    expect(ruleFor('GET', '/api/runs/x/y/z')).toBeUndefined();
    expect(toolRule('drop_database')).toBeUndefined();
  });

  it('makes every state-changing row say what the audit trail calls it', () => {
    expect(ROUTE_RULES.filter((r) => r.method !== 'GET' && r.need !== 'read' && r.action === undefined)).toEqual([]);
    expect(TOOL_RULES.filter((r) => r.need !== 'read' && r.action === undefined)).toEqual([]);
  });
});

describe('a route the app serves that the table does not list', () => {
  it('is refused with 403 ACCESS_UNLISTED before its handler runs', async () => {
    const { createApi } = await import('./api.js');
    const { Daemon } = await import('./daemon.js');
    const { createMemoryStore } = await import('../store/memory/memory-store.js');
    const daemon = new Daemon({ store: createMemoryStore(), workflowsDir: process.cwd(), owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
    const app = createApi(daemon);
    let ran = false;
    app.get('/api/secrets', (c) => ((ran = true), c.json({ secret: 1 })));
    const res = await app.request('/api/secrets');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ACCESS_UNLISTED');
    expect(ran).toBe(false);
    expect((await app.request('/api/nowhere')).status).toBe(404);
  });
});
