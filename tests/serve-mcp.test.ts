/**
 * MCP over Streamable HTTP at /mcp of `baton serve` (issue 11), with the SDK's own HTTP
 * client: the tools act through the server in the caller's namespace; tokens and roles as
 * for the API; a foreign Host or Origin refused (DNS rebinding); act calls audited with
 * origin mcp.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken } from '../src/access/tokens.js';
import { allows, ROLES, type Role } from '../src/access/roles.js';
import { TOOL_RULES } from '../src/access/permissions.js';
import { openStore } from '../src/store/open.js';
import { HELLO, killServers, project, serve, type Served } from './serve-helpers.js';

let dir: string;
let server: Served;
const tokens: Record<string, string> = {};

async function makeToken(roles: Role[], namespace = 'default'): Promise<string> {
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    const made = newToken();
    await store.access.addToken({ id: made.id, roles, namespace, hash: made.hash, created_at: Date.now(), created_by: 'test' });
    return made.token;
  } finally {
    await store.close();
  }
}

async function connect(token?: string): Promise<Client> {
  const client = new Client({ name: 'baton-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
  await client.connect(transport);
  return client;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; doc: any }> {
  const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text: string }> };
  return { isError: result.isError === true, doc: JSON.parse(result.content[0].text) };
}

beforeAll(async () => {
  dir = project({ 'hello.yaml': HELLO });
  tokens.viewer = await makeToken(['viewer']);
  tokens.operator = await makeToken(['operator']);
  server = await serve(dir);
}, 30_000);

afterAll(() => killServers());

describe('MCP over HTTP', () => {
  it('lists the tools and starts a run the server drives, as the token that asked', async () => {
    const client = await connect(tokens.operator);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['list_workflows', 'start_run', 'get_run', 'get_logs', 'list_runs', 'cancel_run']));
      const workflows = await call(client, 'list_workflows', {});
      expect(workflows.doc.workflows.map((w: { name: string }) => w.name)).toEqual(['hello']);
      const started = await call(client, 'start_run', { workflow: 'hello', inputs: { who: 'mcp' }, wait_seconds: 20 });
      expect(started.isError).toBe(false);
      expect(started.doc).toMatchObject({ status: 'succeeded' });
      const logs = await call(client, 'get_logs', { run_id: started.doc.run_id });
      expect(logs.isError).toBe(false);
      const store = openStore(path.join(dir, '.baton', 'baton.db'));
      try {
        const created = (await store.runs.readEvents(started.doc.run_id))[0];
        expect(created).toMatchObject({ type: 'RunCreated', origin: 'mcp', actor: expect.stringMatching(/^token:/) });
        const entries = await store.access.listAudit({ action: 'run.start' });
        expect(entries.find((e) => e.target === started.doc.run_id)).toMatchObject({ origin: 'mcp', outcome: 'ok', actor: expect.stringMatching(/^token:/) });
      } finally {
        await store.close();
      }
    } finally {
      await client.close();
    }
  }, 30_000);

  it("lets a viewer read but not act, and says which role would", async () => {
    const client = await connect(tokens.viewer);
    try {
      const runs = await call(client, 'list_runs', {});
      expect(runs.isError).toBe(false);
      const refused = await call(client, 'start_run', { workflow: 'hello' });
      expect(refused.isError).toBe(true);
      expect(refused.doc.error).toMatchObject({ code: 'ACCESS_DENIED' });
      expect(refused.doc.error.message).toMatch(/needs the role operator or admin/);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('answers every tool of the permission table for every role as the table says', async () => {
    const args: Record<string, Record<string, unknown>> = {
      search_skills: { query: 'logs' },
      show_skill: { name: 'find-errors' },
      list_workflows: {},
      validate_workflow: { text: 'name: x\ntasks: []\n' },
      list_runs: {},
      get_run: { run_id: 'ZZZZZZZZ' },
      get_logs: { run_id: 'ZZZZZZZZ' },
      start_run: { workflow: 'nope', wait_seconds: 0 },
      resume_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      retry_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      cancel_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      emit_event: { event: 'nobody-waits', wait_seconds: 0 },
      answer_approval: { run_id: 'ZZZZZZZZ', approve: true, wait_seconds: 0 },
    };
    expect(Object.keys(args).sort()).toEqual(TOOL_RULES.map((r) => r.tool).sort());
    const wrong: string[] = [];
    for (const role of ROLES) {
      const client = await connect(tokens[role] ?? (tokens[role] = await makeToken([role])));
      try {
        for (const rule of TOOL_RULES) {
          const { isError, doc } = await call(client, rule.tool, args[rule.tool]);
          const denied = isError && doc.error?.code === 'ACCESS_DENIED';
          if (denied === allows([role], rule.need)) wrong.push(`${role} ${rule.tool}: ${JSON.stringify(doc).slice(0, 200)}`);
        }
      } finally {
        await client.close();
      }
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('refuses a missing or wrong token before the protocol', async () => {
    await expect(connect()).rejects.toThrow(/401|AUTH_MISSING|Unauthorized/i);
    await expect(connect(`baton_${'a'.repeat(12)}_${'b'.repeat(43)}`)).rejects.toThrow(/401|AUTH_BAD_TOKEN|Unauthorized/i);
  }, 30_000);

  it('refuses a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { authorization: `Bearer ${tokens.viewer}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const origin = await fetch(`${server.base}/mcp`, { method: 'POST', headers: { ...headers, origin: 'http://evil.example' }, body: ping });
    expect(origin.status).toBe(403);
    expect(((await origin.json()) as { error: { code: string } }).error.code).toBe('MCP_BAD_ORIGIN');
    // fetch sets Host itself: speak HTTP by hand to send another one.
    const { request } = await import('node:http');
    const url = new URL(server.base);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/mcp', method: 'POST', headers: { ...headers, host: 'rebound.evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(ping);
    });
    expect(status).toBe(403);
  }, 30_000);
});
