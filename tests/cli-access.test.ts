/**
 * The CLI side of access control (issue 11), with real processes: `baton token` on a local
 * store and through a server, `baton login` keeping a token readable by its owner only,
 * what a refused request says, `baton audit`, and a server that will not listen beyond
 * loopback without a token.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';
import { HELLO, killServers, project, serve } from './serve-helpers.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

afterEach(killServers);

/** A home of its own for credentials, and nothing from the caller's environment. */
function isolated(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: tempDir('baton-config-'), BATON_TOKEN: '', BATON_SERVER: '' };
}

function createToken(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): { token: string; id: string } {
  const made = baton(['token', 'create', ...args, '--json'], { cwd: dir, env });
  expect(made.status, made.stderr).toBe(0);
  return JSON.parse(made.stdout) as { token: string; id: string };
}

describe('baton token', () => {
  it('prints a token once and keeps only its hash', () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    const made = baton(['token', 'create', '--role', 'operator,approver', '--name', 'ci', '--expires', '30d'], { cwd: dir, env });
    expect(made.status, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^baton_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/it is not shown again/);
    const db = new Database(path.join(dir, '.baton', 'baton.db'), { readonly: true });
    const rows = db.prepare('SELECT * FROM tokens').all() as Array<Record<string, unknown>>;
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'ci', roles: 'operator,approver', namespace: 'default' });
    expect(JSON.stringify(rows)).not.toContain(token.slice(19));
    const listed = baton(['token', 'list'], { cwd: dir, env });
    expect(listed.stdout).toMatch(/ci\s+operator,approver\s+default\s+active/);
    expect(listed.stdout).not.toContain(String(rows[0].hash));
    const id = String(rows[0].id);
    expect(baton(['token', 'revoke', id], { cwd: dir, env }).status).toBe(0);
    expect(baton(['token', 'list', '--json'], { cwd: dir, env }).stdout).toContain('"state": "revoked"');
    const bad = baton(['token', 'create', '--role', 'root'], { cwd: dir, env });
    expect([bad.status, bad.stderr]).toEqual([2, expect.stringContaining('ACCESS_BAD_ROLE')]);
    const star = baton(['token', 'create', '--role', 'viewer', '--namespace', '*'], { cwd: dir, env });
    expect(star.stderr).toMatch(/an admin token: give it --role admin alone/);
  });
});

describe('the CLI against a server with tokens', () => {
  it('says how to log in, keeps the login readable by its owner only, and acts as the token allows', async () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    const admin = createToken(dir, env, '--role', 'admin', '--name', 'ops');
    const viewer = createToken(dir, env, '--role', 'viewer');
    const s = await serve(dir);
    // The line after "listening on" may come in a later chunk than the one serve() waited for.
    for (let i = 0; i < 500 && !/every request needs a token/.test(s.log()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(s.log()).toMatch(/every request needs a token/);

    const anonymous = baton(['history', '--server', s.base], { cwd: dir, env });
    expect(anonymous.status).toBe(2);
    expect(anonymous.stderr).toMatch(/AUTH_MISSING/);
    expect(anonymous.stderr).toContain(`baton login ${s.base}`);

    const looked = baton(['run', 'hello', '--server', s.base], { cwd: dir, env: { ...env, BATON_TOKEN: viewer.token } });
    expect(looked.status).toBe(2);
    expect(looked.stderr).toMatch(/needs the role operator or admin; this token has viewer.*ACCESS_DENIED/s);

    const wrong = baton(['login', s.base, '--token', `baton_${'a'.repeat(12)}_${'b'.repeat(43)}`], { cwd: dir, env });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/AUTH_BAD_TOKEN/);

    const login = baton(['login', s.base], { cwd: dir, env, input: `${admin.token}\n` });
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout).toMatch(new RegExp(`logged in to ${s.base.replace(/[.]/g, '\\.')} as token:${admin.id}`));
    const file = path.join(env.XDG_CONFIG_HOME!, 'baton', 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(login.stdout + login.stderr).not.toContain(admin.token);

    const ran = baton(['run', 'hello', '--server', s.base, '--json'], { cwd: dir, env });
    expect(ran.status, ran.stderr).toBe(0);
    const runId = (JSON.parse(ran.stdout) as { run_id: string }).run_id;
    const audit = JSON.parse(baton(['audit', '--server', s.base, '--json', '--action', 'run.start'], { cwd: dir, env }).stdout) as { entries: Array<Record<string, unknown>> };
    expect(audit.entries.find((e) => e.target === runId)).toMatchObject({ actor: `token:${admin.id}`, origin: 'api', outcome: 'ok', detail: { token_name: 'ops' } });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ servers: { [s.base]: { actor: `token:${admin.id}` } } });

    expect(baton(['logout', s.base], { cwd: dir, env }).status).toBe(0);
    expect(baton(['history', '--server', s.base], { cwd: dir, env }).status).toBe(2);
  }, 60_000);

  it('refuses to listen beyond loopback before a token exists', () => {
    const dir = project({ 'hello.yaml': HELLO });
    const refused = baton(['serve', '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: isolated() });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/this store has no tokens: make one first.*SERVER_NOT_LOOPBACK/s);
  });
});

describe('baton audit on a local store', () => {
  it('records what the CLI did as the OS user', () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    expect(baton(['run', 'hello.yaml'], { cwd: dir, env }).status).toBe(0);
    baton(['emit', 'deployed', '--data', '{"v":1}'], { cwd: dir, env });
    const entries = (JSON.parse(baton(['audit', '--json'], { cwd: dir, env }).stdout) as { entries: Array<Record<string, unknown>> }).entries;
    const user = `user:${os.userInfo().username}`;
    expect(entries.map((e) => [e.action, e.actor, e.origin, e.outcome])).toEqual([
      ['event.emit', user, 'cli', 'ok'],
      ['run.start', user, 'cli', 'ok'],
    ]);
    const table = baton(['audit', '--actor', user, '--since', '1h'], { cwd: dir, env });
    expect(table.stdout).toMatch(/ACTOR\s+ROLES\s+NAMESPACE\s+ORIGIN\s+ACTION\s+TARGET\s+OUTCOME/);
    expect(table.stdout).toMatch(/run\.start\s+\w{26}\s+ok/);
  });
});
