/**
 * `baton audit` with real processes: every state-changing command of the CLI on a local
 * store is an entry with the OS user as its actor, refused ones with their code; the
 * filters; and through a real `baton serve`, the trail of the caller's namespace only.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';
import { recordInterruptedRun } from './runs-fixture.js';
import { HELLO, killServers, project, serve } from './serve-helpers.js';

afterEach(killServers);

const GATE =
  "import { workflow } from 'baton';\nexport default workflow({ name: 'gate' }, async (ctx) => {\n  await ctx.approval('go-live', { prompt: 'Ship it?' });\n  const dns = await ctx.waitForEvent<{ ok: boolean }>('dns', { event: 'dns.propagated' });\n  return ctx.summary(`shipped, dns ${dns.ok}`);\n});\n";
const FLAKY = 'name: flaky\ntasks:\n  - id: check\n    command: test -f ready\n';

interface Entry {
  id: number;
  at: number;
  actor: string;
  roles: string[];
  namespace: string;
  origin: string;
  action: string;
  target?: string;
  outcome: string;
  code?: string;
  detail?: Record<string, unknown>;
}

function isolated(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: tempDir('baton-config-'), BATON_TOKEN: '', BATON_SERVER: '' };
}

function runIdIn(text: string): string {
  const match = /Run (\w{26})/.exec(text);
  if (!match) throw new Error(`no run id in:\n${text}`);
  return match[1];
}

function entriesOf(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Entry[] {
  const listed = baton(['audit', '--json', ...args], { cwd: dir, env });
  expect(listed.status, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { entries: Entry[] }).entries;
}

describe('baton audit on a local store', () => {
  it('has an entry for each thing the CLI changed, as the OS user, refusals with their code', async () => {
    const dir = project({ 'gate.ts': GATE, 'flaky.yaml': FLAKY, 'hello.yaml': HELLO });
    const env = isolated();
    const cli = (...args: string[]) => baton([...args, '--view', 'none'], { cwd: dir, env });
    const plain = (...args: string[]) => baton(args, { cwd: dir, env });

    const gate = runIdIn(baton(['run', 'gate.ts'], { cwd: dir, env }).stdout);
    expect(cli('approve', gate, '--comment', 'ship it').status).toBe(4);
    expect(plain('emit', 'dns.propagated', '--data', '{"ok":true}').status).toBe(0);
    const refusedApproval = cli('approve', gate);
    expect(refusedApproval.status).toBe(2);

    const flaky = runIdIn(baton(['run', 'flaky.yaml'], { cwd: dir, env }).stdout);
    writeFileSync(path.join(dir, 'ready'), '');
    expect(cli('retry', flaky).status).toBe(0);

    const second = runIdIn(baton(['run', 'gate.ts'], { cwd: dir, env }).stdout);
    expect(plain('cancel', second).status).toBe(0);

    const interrupted = await recordInterruptedRun(path.join(dir, '.baton', 'baton.db'));
    expect(cli('resume', interrupted).status).toBe(0);

    const added = JSON.parse(plain('schedule', 'add', 'hello.yaml', '--cron', '0 7 * * *', '--json').stdout) as { id: string };
    for (const verb of ['pause', 'resume', 'rm']) expect(plain('schedule', verb, added.id).status).toBe(0);
    const token = JSON.parse(plain('token', 'create', '--role', 'viewer', '--json').stdout) as { id: string };
    expect(plain('token', 'revoke', token.id).status).toBe(0);

    const user = `user:${os.userInfo().username}`;
    const entries = entriesOf(dir, env).reverse();
    expect(entries.every((e) => e.actor === user && e.origin === 'cli' && e.namespace === 'default')).toBe(true);
    expect(entries.map((e) => [e.action, e.target, e.outcome, e.code])).toEqual([
      ['run.start', gate, 'ok', undefined],
      ['approval.answer', gate, 'ok', undefined],
      ['event.emit', 'dns.propagated', 'ok', undefined],
      ['approval.answer', gate, 'refused', expect.stringMatching(/^[A-Z_]+$/)],
      ['run.start', flaky, 'ok', undefined],
      ['run.retry', flaky, 'ok', undefined],
      ['run.start', second, 'ok', undefined],
      ['run.cancel', second, 'ok', undefined],
      ['run.resume', interrupted, 'ok', undefined],
      ['schedule.add', added.id, 'ok', undefined],
      ['schedule.pause', added.id, 'ok', undefined],
      ['schedule.resume', added.id, 'ok', undefined],
      ['schedule.remove', added.id, 'ok', undefined],
      ['token.create', token.id, 'ok', undefined],
      ['token.revoke', token.id, 'ok', undefined],
    ]);
    expect(entries[1].detail).toMatchObject({ approved: true, comment: 'ship it' });

    // The filters, and the table.
    expect(entriesOf(dir, env, '--action', 'run.start').map((e) => e.target)).toEqual([second, flaky, gate]);
    expect(entriesOf(dir, env, '--limit', '2').map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
    expect(entriesOf(dir, env, '--actor', 'user:nobody-else')).toEqual([]);
    expect(entriesOf(dir, env, '--since', new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    expect(entriesOf(dir, env, '--since', '2020-01-01')).toHaveLength(entries.length);
    const table = plain('audit', '--action', 'approval.answer');
    expect(table.stdout).toMatch(/^TIME\s+ACTOR\s+ROLES\s+NAMESPACE\s+ORIGIN\s+ACTION\s+TARGET\s+OUTCOME\n/);
    expect(table.stdout).toMatch(new RegExp(`${user}\\s+\\S+\\s+default\\s+cli\\s+approval\\.answer\\s+${gate}\\s+refused [A-Z_]+\\n`));
    const bad = plain('audit', '--since', 'yesterday');
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringMatching(/CLI_BAD_SINCE/)]);
  }, 90_000);
});

describe('baton audit --server', () => {
  it("shows an admin its namespace's trail, and an admin of * every namespace's", async () => {
    const dir = project({
      'hello.yaml': HELLO,
      'baton.config.yaml': 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: { workflows: tenants/acme }\n',
    });
    const env = isolated();
    const made = (...args: string[]) => JSON.parse(baton(['token', 'create', ...args, '--json'], { cwd: dir, env }).stdout) as { token: string; id: string };
    const root = made('--role', 'admin', '--namespace', '*');
    const operator = made('--role', 'operator', '--name', 'deployer');
    const acme = made('--role', 'admin', '--namespace', 'acme');
    const s = await serve(dir);
    const as = (token: string, ...args: string[]) => baton([...args, '--server', s.base], { cwd: dir, env: { ...env, BATON_TOKEN: token } });

    const ran = as(operator.token, 'run', 'hello', '--json');
    expect(ran.status, ran.stderr).toBe(0);
    const runId = (JSON.parse(ran.stdout) as { run_id: string }).run_id;
    expect(as(acme.token, 'token', 'create', '--role', 'viewer').status).toBe(0);

    const everything = JSON.parse(as(root.token, 'audit', '--json').stdout) as { entries: Entry[] };
    expect(everything.entries.find((e) => e.action === 'run.start')).toMatchObject({ actor: `token:${operator.id}`, target: runId, namespace: 'default', origin: 'api', detail: { token_name: 'deployer' } });
    expect(everything.entries.find((e) => e.action === 'token.create')).toMatchObject({ actor: `token:${acme.id}`, namespace: 'acme', outcome: 'ok' });

    const acmeOnly = JSON.parse(as(acme.token, 'audit', '--json', '--namespace', 'default').stdout) as { entries: Entry[] };
    expect(acmeOnly.entries.length).toBeGreaterThan(0);
    expect(acmeOnly.entries.every((e) => e.namespace === 'acme')).toBe(true);

    const refused = as(operator.token, 'audit');
    expect([refused.status, refused.stderr]).toEqual([2, expect.stringMatching(/needs the role admin.*ACCESS_DENIED/s)]);
  }, 60_000);
});
