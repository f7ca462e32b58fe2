import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, describe, expect, it } from 'vitest';
import { baton, BATON, tempDir, until } from './helpers.js';

/**
 * `baton mcp` end to end: the MCP SDK's own client over stdio against a real `baton mcp`
 * process (bin/baton.js, built), in a project folder of its own with its own store. Runs
 * the server starts go on in processes of their own; the test reads them back over MCP and,
 * for their events, with `baton export`.
 */

/** What every answer stays under (src/mcp/answers.ts ANSWER_LIMIT). */
const ANSWER_LIMIT = 64 * 1024;

interface Answer {
  isError?: boolean;
  content: Array<{ type: string; text: string }>;
}

const clients: Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
});

/** A project folder: its files, and `baton mcp` started in it. */
function project(files: Record<string, string> = {}) {
  const dir = tempDir('baton-mcp-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const env = { ...(process.env as Record<string, string>), NO_COLOR: '1', BATON_HOME: path.join(dir, '.baton') };
  const connect = async () => {
    const client = new Client({ name: 'baton-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BATON, 'mcp'], cwd: dir, env, stderr: 'pipe' }));
    clients.push(client);
    return client;
  };
  /** The run's recorded events, from `baton export`. */
  const events = (runId: string): Array<Record<string, unknown> & { type: string }> => {
    const exported = baton(['export', runId], { cwd: dir, env });
    expect(exported.status, exported.stderr).toBe(0);
    return exported.stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line));
  };
  return { dir, env, connect, events };
}

/** Calls a tool; checks the answer's size; returns it with its first block parsed. */
async function call(client: Client, name: string, args: Record<string, unknown>) {
  const result = (await client.callTool({ name, arguments: args })) as Answer;
  const bytes = result.content.reduce((n, block) => n + Buffer.byteLength(block.text), 0);
  expect(bytes, `${name} answered ${bytes} bytes`).toBeLessThanOrEqual(ANSWER_LIMIT);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const doc = JSON.parse(result.content[0].text) as any;
  return { result, doc, text: result.content.slice(1).map((b) => b.text).join('') };
}

const WAITS_FOR_APPROVAL = `import { workflow } from 'baton';

export default workflow({ name: 'go-live' }, async (ctx) => {
  await ctx.step('prepare', () => 'ready');
  const answer = await ctx.approval('go-live', { prompt: 'Switch traffic?' });
  await ctx.step('switch', () => 'switched');
  return ctx.summary('switched; comment: ' + answer.comment);
});
`;

const WAITS_FOR_EVENT = `import { workflow } from 'baton';

export default workflow({ name: 'dns-switch' }, async (ctx) => {
  await ctx.step('update-dns', () => 'requested');
  const dns = await ctx.waitForEvent<{ ok: boolean }>('dns-ok', { event: 'dns.propagated', timeout: '1h' });
  return ctx.summary('dns data ' + JSON.stringify(dns));
});
`;

/** 10,000,000 bytes on stdout: 100,000 lines of 99 characters and a line break. */
const PRINTS_10MB = `name: big-output
tasks:
  - id: print
    type: shell
    command: node -e "const block = ('x'.repeat(99) + '\\\\n').repeat(1000); for (let i = 0; i < 100; i++) process.stdout.write(block)"
`;

const SKILL = `---
name: disk-cleanup
description: Frees disk space on a host by removing old log archives and package caches. Use when a disk is nearly full.
metadata:
  tags: "disk, cleanup"
---
# disk-cleanup

Remove /var/log/*.gz older than a week, then clean the package cache.
`;

describe('baton mcp', () => {
  const p = project({
    'flow-approval.ts': WAITS_FOR_APPROVAL,
    'flow-event.ts': WAITS_FOR_EVENT,
    'big.yaml': PRINTS_10MB,
    'broken.yaml': 'name: broken\ntasks:\n  - id: a\n    type: shel\n    command: echo hi\n',
    'skills/disk-cleanup/SKILL.md': SKILL,
  });
  let client: Client;

  it('lists its tools, each with a schema and a description; answer_approval only when the project allows it', async () => {
    client = await p.connect();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['search_skills', 'show_skill', 'list_workflows', 'validate_workflow', 'list_runs', 'get_run', 'get_logs', 'start_run', 'resume_run', 'retry_run', 'cancel_run', 'emit_event']) {
      expect(names).toContain(name);
    }
    expect(names).not.toContain('answer_approval');
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
    }
    const start = tools.find((t) => t.name === 'start_run')!;
    expect(Object.keys(start.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['file', 'text', 'skill', 'inputs', 'wait_seconds']));
    // Calling it anyway is refused: approvals are for people here.
    const refused = await client.callTool({ name: 'answer_approval', arguments: { run_id: 'x', approve: true } }).then(
      (r) => (r as Answer).isError === true,
      () => true,
    );
    expect(refused).toBe(true);
  });

  it('finds a skill by what it does, and shows it', async () => {
    const { doc } = await call(client, 'search_skills', { query: 'free disk space' });
    expect(doc.skills[0]).toMatchObject({ name: 'disk-cleanup', runnable: false });
    const shown = await call(client, 'show_skill', { name: 'disk-cleanup' });
    expect(shown.doc.instructions).toContain('Remove /var/log/*.gz');
    const missing = await call(client, 'show_skill', { name: 'disk-clean' });
    expect(missing.result.isError).toBe(true);
    expect(missing.doc.error).toMatchObject({ code: 'SKILL_NOT_FOUND' });
    expect(missing.doc.error.message).toContain('disk-cleanup');
  });

  it("lists the project's workflow files, and serves the docs an agent needs as resources", async () => {
    const { doc } = await call(client, 'list_workflows', {});
    expect(doc.files).toEqual(
      expect.arrayContaining([
        { file: 'big.yaml', kind: 'yaml', name: 'big-output' },
        { file: 'flow-event.ts', kind: 'code', name: 'dns-switch' },
      ]),
    );
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['baton://docs/workflow-format', 'baton://docs/expressions', 'baton://docs/code-workflows', 'baton://docs/skills', 'baton://docs/agents']));
    const read = await client.readResource({ uri: 'baton://docs/workflow-format' });
    expect((read.contents[0] as { text: string }).text).toMatch(/depends_on/);
  });

  it('validates a broken workflow: every problem at file:line:col, from a file or from text', async () => {
    const { doc } = await call(client, 'validate_workflow', { file: 'broken.yaml' });
    expect(doc.valid).toBe(false);
    expect(doc.files[0].diagnostics[0]).toMatchObject({ code: 'SPEC_UNKNOWN_TYPE', file: path.join(p.dir, 'broken.yaml'), line: 4, col: 11 });
    expect(doc.files[0].diagnostics[0].message).toContain("did you mean 'shell'");
    const text = await call(client, 'validate_workflow', { text: 'name: broken\ntasks:\n  - id: a\n    type: shel\n' });
    expect(text.doc.files[0].diagnostics[0]).toMatchObject({ code: 'SPEC_UNKNOWN_TYPE', file: '<text>', line: 4, col: 11 });
    const both = await call(client, 'validate_workflow', { file: 'broken.yaml', text: 'x' });
    expect(both.doc.error).toMatchObject({ code: 'MCP_BAD_ARGUMENTS', category: 'usage' });
    // start_run of it: a tool error with the problems, nothing ran.
    const started = await call(client, 'start_run', { file: 'broken.yaml' });
    expect(started.result.isError).toBe(true);
    expect(started.doc.error).toMatchObject({ code: 'SPEC_INVALID' });
    expect(started.doc.error.details.diagnostics[0]).toMatchObject({ line: 4, col: 11 });
  });

  it('runs a workflow that prints 10 MB: the answer stays bounded, and its logs read page by page add up to every byte', async () => {
    const { doc } = await call(client, 'start_run', { file: 'big.yaml', wait_seconds: 60 });
    expect(doc.status, JSON.stringify(doc).slice(0, 500)).toBe('succeeded');
    const runId: string = doc.run_id;

    const tail = await call(client, 'get_logs', { run_id: runId });
    expect(tail.doc).toMatchObject({ from: 'tail', truncated: true });
    expect(tail.doc.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(tail.text.endsWith('x'.repeat(99) + '\n')).toBe(true);

    let offset = '0';
    let total = 0;
    let pages = 0;
    let carry = '';
    for (;;) {
      const page = await call(client, 'get_logs', { run_id: runId, task: 'print', offset, limit_bytes: 60_000 });
      expect(page.doc.bytes).toBe(Buffer.byteLength(page.text));
      expect(page.doc.bytes).toBeLessThanOrEqual(60_000);
      total += page.doc.bytes;
      pages++;
      // Pages may split lines: joined, every line is the one printed.
      const lines = (carry + page.text).split('\n');
      carry = lines.pop()!;
      for (const line of lines) if (line !== 'x'.repeat(99)) throw new Error(`page ${pages}: unexpected line ${JSON.stringify(line.slice(0, 120))}`);
      offset = page.doc.next_offset;
      if (!page.doc.truncated) break;
      expect(pages).toBeLessThan(400);
    }
    expect(carry).toBe('');
    expect(total).toBe(10_000_000);
    expect(pages).toBeGreaterThan(100);
    const bad = await call(client, 'get_logs', { run_id: runId, offset: 'not-an-offset' });
    expect(bad.doc.error).toMatchObject({ code: 'LOG_BAD_OFFSET' });
  }, 40_000);

  it('starts a run that waits for an approval (status waiting), cancels it; its events say the requests came over MCP', async () => {
    const { doc } = await call(client, 'start_run', { file: 'flow-approval.ts', wait_seconds: 60 });
    expect(doc.status, JSON.stringify(doc).slice(0, 800)).toBe('waiting');
    expect(doc.waits[0]).toMatchObject({ task: 'go-live', kind: 'approval', prompt: 'Switch traffic?' });
    expect(doc.next.join(' ')).toMatch(/approvals are for people/);
    const runId: string = doc.run_id;

    const cancelled = await call(client, 'cancel_run', { run_id: runId, wait_seconds: 60 });
    expect(cancelled.doc.status).toBe('cancelled');
    expect((await call(client, 'get_run', { run_id: runId.slice(0, 12) })).doc.status).toBe('cancelled');
    const events = p.events(runId);
    expect(events.find((e) => e.type === 'RunCreated')).toMatchObject({ origin: 'mcp' });
    expect(events.find((e) => e.type === 'RunCancelRequested')).toMatchObject({ origin: 'mcp', reason: 'cancelled over MCP' });
    expect(events.find((e) => e.type === 'RunResumed')).toMatchObject({ origin: 'mcp' });
    // Cancelling it again: a tool error that says what to do instead.
    const again = await call(client, 'cancel_run', { run_id: runId });
    expect(again.doc.error).toMatchObject({ code: 'RUN_FINISHED', category: 'conflict' });
    expect(again.doc.error.next).toContain('get_run');
  }, 40_000);

  it('emit_event wakes a run that waits for it, which goes on to its end', async () => {
    const { doc } = await call(client, 'start_run', { file: 'flow-event.ts', wait_seconds: 60 });
    expect(doc.status).toBe('waiting');
    expect(doc.next.join(' ')).toContain('emit_event');
    const none = await call(client, 'emit_event', { event: 'dns.other' });
    expect(none.doc.delivered).toEqual([]);
    const emitted = await call(client, 'emit_event', { event: 'dns.propagated', data: { ok: true }, run_id: doc.run_id, wait_seconds: 60 });
    expect(emitted.doc.delivered[0]).toMatchObject({ run_id: doc.run_id, status: 'succeeded', summary: 'dns data {"ok":true}' });
    expect(p.events(doc.run_id).filter((e) => e.type === 'RunResumed')).toEqual([expect.objectContaining({ origin: 'mcp' })]);
  }, 40_000);

  it('retry_run runs what failed again once it is fixed; resume_run goes on with a run whose process was killed', async () => {
    const failing = await call(client, 'start_run', { text: 'name: needs-file\ntasks:\n  - id: check\n    type: shell\n    command: cat ready.txt\n' });
    expect(failing.doc.status).toBe('failed');
    expect(failing.doc.next.join(' ')).toMatch(/get_logs .*"task": "check".*retry_run/s);
    writeFileSync(path.join(p.dir, 'ready.txt'), 'ready\n');
    const retried = await call(client, 'retry_run', { run_id: failing.doc.run_id, wait_seconds: 60 });
    expect(retried.doc.status).toBe('succeeded');
    expect(p.events(failing.doc.run_id).find((e) => e.type === 'RunReopened')).toMatchObject({ origin: 'mcp', tasks: ['check'] });

    // The first attempt sleeps; its process is killed; the resumed one finds the marker.
    const slow = 'name: slow\ntasks:\n  - id: work\n    type: shell\n    command: if [ -f marker ]; then echo second; else touch marker; sleep 30; fi\n';
    const started = await call(client, 'start_run', { text: slow, wait_seconds: 2 });
    expect(started.doc).toMatchObject({ status: 'running', still_running: true });
    process.kill(started.doc.owner.pid, 'SIGKILL');
    await until(() => JSON.parse(baton(['status', started.doc.run_id, '--json'], { cwd: p.dir, env: p.env }).stdout).status === 'interrupted', 10_000, 'the run to show interrupted');
    const interrupted = await call(client, 'get_run', { run_id: started.doc.run_id });
    expect(interrupted.doc.next.join(' ')).toContain('resume_run');
    const resumed = await call(client, 'resume_run', { run_id: started.doc.run_id, wait_seconds: 60 });
    expect(resumed.doc.status).toBe('succeeded');
    expect((await call(client, 'get_logs', { run_id: started.doc.run_id, task: 'work' })).text).toContain('second');
    expect(p.events(started.doc.run_id).find((e) => e.type === 'RunResumed')).toMatchObject({ origin: 'mcp' });
  }, 40_000);

  it('runs text an agent wrote (a script), and a run outlives the client that started it', async () => {
    const { doc } = await call(client, 'start_run', { text: '#!/bin/sh\nsleep 1\necho done from a script\n', wait_seconds: 0 });
    const runId: string = doc.run_id;
    expect(['starting', 'pending', 'running']).toContain(doc.status);
    await client.close();
    await until(() => JSON.parse(baton(['status', runId, '--json'], { cwd: p.dir, env: p.env }).stdout || '{}').status === 'succeeded', 20_000, 'the run to succeed');
    client = await p.connect();
    const logs = await call(client, 'get_logs', { run_id: runId });
    expect(logs.text).toContain('done from a script');
    expect((await call(client, 'list_runs', { status: 'succeeded' })).doc.runs.map((r: { run_id: string }) => r.run_id)).toContain(runId);
  }, 30_000);
});

describe('baton mcp: start_run with an idempotency_key', () => {
  it('two calls at once with one key start one run and both answer with it; the key with other inputs, or an empty one, is a tool error', async () => {
    const p = project({ 'deploy.yaml': 'name: deploy\ninputs:\n  version: {type: string}\ntasks:\n  - id: ship\n    command: sleep 1 && echo "shipped ${ inputs.version }"\n' });
    const client = await p.connect();
    const start = (version: string, key = 'deploy-7') => call(client, 'start_run', { file: 'deploy.yaml', inputs: { version }, idempotency_key: key, wait_seconds: 60 });
    const [a, b] = await Promise.all([start('7'), start('7')]);
    expect([a.doc.status, b.doc.status], JSON.stringify([a.doc, b.doc]).slice(0, 800)).toEqual(['succeeded', 'succeeded']);
    expect(a.doc.run_id).toBe(b.doc.run_id);
    expect([a.doc.note, b.doc.note].filter((n) => typeof n === 'string' && n.includes('was started before with idempotency key "deploy-7"'))).toHaveLength(1);
    const later = await start('7');
    expect(later.doc).toMatchObject({ run_id: a.doc.run_id, status: 'succeeded', note: expect.stringContaining('nothing new was started') });
    const other = await start('8');
    expect(other.result.isError).toBe(true);
    expect(other.doc.error).toMatchObject({ code: 'RUN_IDEMPOTENCY_CONFLICT', message: expect.stringContaining(`run ${a.doc.run_id as string} of deploy with other inputs`) });
    const empty = await start('7', '');
    expect(empty.result.isError).toBe(true);
    expect(empty.doc.error).toMatchObject({ code: 'RUN_IDEMPOTENCY_KEY_EMPTY' });
    expect(JSON.parse(baton(['runs', '--json'], { cwd: p.dir, env: p.env }).stdout)).toHaveLength(1);
  }, 30_000);
});

describe("baton run's hidden options for baton mcp", () => {
  it('--run-id must be a run id, --origin one baton knows; baton mcp refuses a memory store', () => {
    const p = project({ 'flow.yaml': 'name: x\ntasks:\n  - id: a\n    type: noop\n' });
    const bad = baton(['run', 'flow.yaml', '--run-id', 'nope', '--json'], { cwd: p.dir, env: p.env });
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'CLI_BAD_RUN_ID' });
    expect(baton(['run', 'flow.yaml', '--origin', 'someone'], { cwd: p.dir, env: p.env }).status).toBe(2);
    const memory = baton(['mcp', '--store', 'memory'], { cwd: p.dir, env: p.env, input: '' });
    expect(memory.status).toBe(2);
    expect(memory.stderr).toContain('MCP_MEMORY_STORE');
    expect(baton(['run', '--help']).stdout).not.toContain('--run-id');
  });
});

describe('baton mcp with mcp.approvals: true', () => {
  it('lists answer_approval, and an agent can approve; the answer is recorded as from MCP', async () => {
    const p = project({ 'baton.config.yaml': 'mcp:\n  approvals: true\n', 'flow.ts': WAITS_FOR_APPROVAL });
    const client = await p.connect();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('answer_approval');
    const { doc } = await call(client, 'start_run', { file: 'flow.ts', wait_seconds: 60 });
    expect(doc.status).toBe('waiting');
    expect(doc.next.join(' ')).toContain('answer_approval');
    const approved = await call(client, 'answer_approval', { run_id: doc.run_id, approve: true, comment: 'ship it', wait_seconds: 60 });
    expect(approved.doc).toMatchObject({ status: 'succeeded', summary: 'switched; comment: ship it' });
    expect(p.events(doc.run_id).find((e) => e.type === 'WaitAnswered')).toMatchObject({ answer: { approved: true, origin: 'mcp' } });
  }, 30_000);
});
