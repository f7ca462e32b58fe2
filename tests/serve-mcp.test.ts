/**
 * MCP over Streamable HTTP at /mcp of `baton serve` (issue 11), with the SDK's own HTTP
 * client: the tools act through the server in the caller's namespace; tokens and roles as
 * for the API; a foreign Host or Origin refused (DNS rebinding); act calls audited with
 * origin mcp.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken, parseToken } from '../src/access/tokens.js';
import { allows, ROLES, type Role } from '../src/access/roles.js';
import { TOOL_RULES } from '../src/access/permissions.js';
import { openStore } from '../src/store/open.js';
import { HELLO, killServers, project, serve, SLOW, type Served } from './serve-helpers.js';

const GATE = "import { workflow } from 'baton';\nexport default workflow({ name: 'gate' }, async (ctx) => {\n  await ctx.approval('go-live', { prompt: 'Ship it?' });\n  return ctx.summary('shipped');\n});\n";
const DNS = "import { workflow } from 'baton';\nexport default workflow({ name: 'dns' }, async (ctx) => {\n  const got = await ctx.waitForEvent('dns-ok', { event: 'dns.propagated', timeout: '1h' });\n  return ctx.summary('dns ' + JSON.stringify(got));\n});\n";
const CONFIG = 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: { workflows: tenants/acme }\n  allowed_hosts: [baton.test]\n';

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
  dir = project({ 'hello.yaml': HELLO, 'slow.yaml': SLOW, 'gate.ts': GATE, 'dns.ts': DNS, 'baton.config.yaml': CONFIG });
  mkdirSync(path.join(dir, 'tenants', 'acme'), { recursive: true });
  writeFileSync(path.join(dir, 'tenants', 'acme', 'hello.yaml'), HELLO);
  tokens.viewer = await makeToken(['viewer']);
  tokens.operator = await makeToken(['operator']);
  tokens.acme = await makeToken(['operator'], 'acme');
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
      expect(workflows.doc.workflows.map((w: { name: string }) => w.name).sort()).toEqual(['dns', 'gate', 'hello', 'slow']);
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
      metrics: { since: '1h' },
      start_run: { workflow: 'nope', wait_seconds: 0 },
      resume_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      retry_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      cancel_run: { run_id: 'ZZZZZZZZ', wait_seconds: 0 },
      emit_event: { event: 'nobody-waits', wait_seconds: 0 },
      answer_approval: { run_id: 'ZZZZZZZZ', approve: true, wait_seconds: 0 },
      resolve_task: { run_id: 'ZZZZZZZZ', resolution: 'retry', wait_seconds: 0 },
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

/** POST /mcp with a ping, by hand: fetch sets Host itself, so speak HTTP to send another one. */
async function pingWithHost(host: string): Promise<number> {
  const { request } = await import('node:http');
  const url = new URL(server.base);
  const headers = { authorization: `Bearer ${tokens.viewer}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', host };
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/mcp', method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
  });
}

describe('MCP over HTTP, further', () => {
  it('answers a Host named in server.allowed_hosts', async () => {
    expect(await pingWithHost('baton.test')).toBe(200);
    expect(await pingWithHost(`baton.test:${new URL(server.base).port}`)).toBe(200);
    expect(await pingWithHost('other.test')).toBe(403);
  }, 30_000);

  it("keeps namespaces apart: a run of acme's is not found from default", async () => {
    const acme = await connect(tokens.acme);
    const home = await connect(tokens.viewer);
    try {
      expect((await call(acme, 'list_workflows', {})).doc.workflows.map((w: { name: string }) => w.name)).toEqual(['hello']);
      const started = await call(acme, 'start_run', { workflow: 'hello', wait_seconds: 20 });
      expect(started.doc).toMatchObject({ status: 'succeeded' });
      const runId = started.doc.run_id as string;
      expect((await call(acme, 'get_run', { run_id: runId })).doc).toMatchObject({ run_id: runId });
      for (const tool of ['get_run', 'get_logs']) {
        const hidden = await call(home, tool, { run_id: runId });
        expect(hidden.isError, tool).toBe(true);
        expect(hidden.doc.error.code, tool).toBe('STORE_RUN_NOT_FOUND');
      }
      const listed = (await call(home, 'list_runs', { limit: 100 })).doc.runs.map((r: { run_id: string }) => r.run_id);
      expect(listed).not.toContain(runId);
      // An acme operator cannot act on a run of default either.
      const mine = await call(await connect(tokens.operator), 'start_run', { workflow: 'hello', wait_seconds: 20 });
      const foreign = await call(acme, 'cancel_run', { run_id: mine.doc.run_id, wait_seconds: 0 });
      expect(foreign.doc.error.code).toBe('STORE_RUN_NOT_FOUND');
    } finally {
      await acme.close();
      await home.close();
    }
  }, 60_000);

  it('start_run with an idempotency_key: a call again gets the run, in its namespace only; other inputs are a conflict', async () => {
    const home = await connect(tokens.operator);
    const acme = await connect(tokens.acme);
    try {
      const first = await call(home, 'start_run', { workflow: 'hello', inputs: { who: 'k' }, idempotency_key: 'mcp-1', wait_seconds: 20 });
      expect(first.doc).toMatchObject({ status: 'succeeded' });
      expect(first.doc.note).toBeUndefined();
      const again = await call(home, 'start_run', { workflow: 'hello', inputs: { who: 'k' }, idempotency_key: 'mcp-1', wait_seconds: 20 });
      expect(again.doc).toMatchObject({ run_id: first.doc.run_id, status: 'succeeded', note: expect.stringContaining('was started before with idempotency key "mcp-1"') });
      const other = await call(home, 'start_run', { workflow: 'hello', inputs: { who: 'x' }, idempotency_key: 'mcp-1', wait_seconds: 0 });
      expect(other).toMatchObject({ isError: true, doc: { error: { code: 'RUN_IDEMPOTENCY_CONFLICT' } } });
      // Another namespace's key of the same name is another key.
      const theirs = await call(acme, 'start_run', { workflow: 'hello', inputs: { who: 'k' }, idempotency_key: 'mcp-1', wait_seconds: 20 });
      expect(theirs.doc.run_id).not.toBe(first.doc.run_id);
      expect(theirs.doc.note).toBeUndefined();
    } finally {
      await home.close();
      await acme.close();
    }
  }, 60_000);

  it('records every act call in the audit trail with origin mcp, its target the run or the event', async () => {
    const client = await connect(tokens.admin ?? (tokens.admin = await makeToken(['admin'])));
    try {
      const gate = await call(client, 'start_run', { workflow: 'gate', wait_seconds: 20 });
      expect(gate.doc).toMatchObject({ status: 'waiting' });
      const approved = await call(client, 'answer_approval', { run_id: gate.doc.run_id, approve: true, comment: 'ok', wait_seconds: 20 });
      expect(approved.doc).toMatchObject({ status: 'succeeded' });

      const dns = await call(client, 'start_run', { workflow: 'dns', wait_seconds: 20 });
      expect(dns.doc).toMatchObject({ status: 'waiting' });
      const emitted = await call(client, 'emit_event', { event: 'dns.propagated', data: { ok: true }, run_id: dns.doc.run_id, wait_seconds: 20 });
      expect(emitted.doc.delivered[0]).toMatchObject({ run_id: dns.doc.run_id, status: 'succeeded' });

      const slow = await call(client, 'start_run', { workflow: 'slow', wait_seconds: 0 });
      const cancelled = await call(client, 'cancel_run', { run_id: slow.doc.run_id, wait_seconds: 20 });
      expect(cancelled.doc).toMatchObject({ status: 'cancelled' });
      const retried = await call(client, 'retry_run', { run_id: slow.doc.run_id, wait_seconds: 20 });
      expect(retried.doc).toMatchObject({ status: 'succeeded' });
      const resumed = await call(client, 'resume_run', { run_id: 'ZZZZZZZZ', wait_seconds: 0 });
      expect(resumed.doc.error.code).toBe('STORE_RUN_NOT_FOUND');

      const store = openStore(path.join(dir, '.baton', 'baton.db'));
      try {
        const entries = await store.access.listAudit({ actor: `token:${parseToken(tokens.admin)!.id}`, limit: 100 });
        const seen = entries.map((e) => `${e.action} ${e.target} ${e.origin} ${e.outcome}`);
        expect(seen).toEqual(
          expect.arrayContaining([
            `run.start ${gate.doc.run_id} mcp ok`,
            `approval.answer ${gate.doc.run_id} mcp ok`,
            `run.start ${dns.doc.run_id} mcp ok`,
            'event.emit dns.propagated mcp ok',
            `run.start ${slow.doc.run_id} mcp ok`,
            `run.cancel ${slow.doc.run_id} mcp ok`,
            `run.retry ${slow.doc.run_id} mcp ok`,
            'run.resume ZZZZZZZZ mcp refused',
          ]),
        );
        // The event's delivery is recorded as from MCP, as baton mcp records it.
        const events = await store.runs.readEvents(dns.doc.run_id);
        expect(events.find((e) => e.type === 'WaitAnswered')).toMatchObject({ answer: { event: 'dns.propagated', origin: 'mcp' } });
      } finally {
        await store.close();
      }
    } finally {
      await client.close();
    }
  }, 90_000);
});
