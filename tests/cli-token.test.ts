/**
 * `baton token` with real processes: on the project's SQLite store (as the OS user) and
 * through a real `baton serve` (as the token that asks allows), and `baton login` making
 * its server the default of a bare `--server`. tests/cli-access.test.ts has the first
 * look (printed once, only the hash kept, what a 401 and a 403 say).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';
import { HELLO, killServers, project, serve } from './serve-helpers.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

afterEach(killServers);

interface Made {
  token: string;
  id: string;
  roles: string[];
  namespace: string;
  expires_at?: string;
  state: string;
}

/** Credentials of their own, and nothing from the caller's environment. */
function isolated(): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: tempDir('baton-config-'), BATON_TOKEN: '', BATON_SERVER: '' };
}

/** `baton token create ... --json`, which must succeed. */
function make(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Made {
  const made = baton(['token', 'create', ...args, '--json'], { cwd: dir, env });
  expect(made.status, made.stderr).toBe(0);
  return JSON.parse(made.stdout) as Made;
}

function tokenRows(dir: string): Array<Record<string, unknown>> {
  const db = new Database(path.join(dir, '.baton', 'baton.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM tokens ORDER BY created_at').all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

describe('baton token on the project store', () => {
  it('prints {token, id, roles, namespace, expires_at} with --json, lists without secrets, and revokes by id', () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    const before = Date.now();
    const made = make(dir, env, '--role', 'viewer', '--role', 'approver', '--namespace', 'acme', '--expires', '12h', '--name', 'pager');
    expect(made).toMatchObject({ roles: ['viewer', 'approver'], namespace: 'acme', state: 'active' });
    expect(made.token).toContain(`baton_${made.id}_`);
    const expires = Date.parse(made.expires_at!);
    expect(expires).toBeGreaterThanOrEqual(before + 12 * 3_600_000);
    expect(expires).toBeLessThan(Date.now() + 12 * 3_600_000 + 1000);

    const [row] = tokenRows(dir);
    expect(row).toMatchObject({ id: made.id, created_by: expect.stringMatching(/^user:/) });
    expect(JSON.stringify(row)).not.toContain(made.token.slice(`baton_${made.id}_`.length));
    const listed = baton(['token', 'list', '--json'], { cwd: dir, env });
    expect(listed.stdout).not.toContain(String(row.hash));
    expect(Object.keys((JSON.parse(listed.stdout) as { tokens: Array<Record<string, unknown>> }).tokens[0]).sort()).toEqual(
      ['created_at', 'created_by', 'expires_at', 'id', 'name', 'namespace', 'roles', 'state'],
    );
    expect(baton(['token', 'list', '--namespace', 'default', '--json'], { cwd: dir, env }).stdout).toContain('"tokens": []');

    const unknown = baton(['token', 'revoke', 'zzzzzzzzzzzz'], { cwd: dir, env });
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringMatching(/no token "zzzzzzzzzzzz": baton token list shows their ids.*TOKEN_NOT_FOUND/s)]);
    const revoked = baton(['token', 'revoke', made.id], { cwd: dir, env });
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked token ${made.id} (pager)`);
    expect(baton(['token', 'list'], { cwd: dir, env }).stdout).toMatch(new RegExp(`${made.id}\\s+pager\\s+viewer,approver\\s+acme\\s+revoked`));
  });

  it('refuses what is not a duration, a role or a namespace', () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    const cases: Array<[string[], RegExp]> = [
      [['--role', 'viewer', '--expires', 'soon'], /--expires "soon" is not a duration.*USAGE_BAD_DURATION/s],
      [['--role', 'viewer', '--namespace', 'Acme!'], /ACCESS_BAD_NAMESPACE/],
      [['--role', 'viewer,root'], /ACCESS_BAD_ROLE/],
    ];
    for (const [args, message] of cases) {
      const refused = baton(['token', 'create', ...args], { cwd: dir, env });
      expect([refused.status, refused.stderr, refused.stdout]).toEqual([2, expect.stringMatching(message), '']);
    }
    expect(tokenRows(dir)).toEqual([]);
  });

  it('shows an expired token as expired, and a server refuses it', async () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    make(dir, env, '--role', 'admin');
    const old = make(dir, env, '--role', 'viewer', '--expires', '1h');
    // An hour is too long to wait: move its end into the past, in the file itself.
    const db = new Database(path.join(dir, '.baton', 'baton.db'));
    db.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 60_000, old.id);
    db.close();
    expect(baton(['token', 'list'], { cwd: dir, env }).stdout).toMatch(new RegExp(`${old.id}\\s+-\\s+viewer\\s+default\\s+expired`));
    const s = await serve(dir);
    const refused = baton(['history', '--server', s.base], { cwd: dir, env: { ...env, BATON_TOKEN: old.token } });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/AUTH_EXPIRED/);
    expect(refused.stderr).toContain('the token from BATON_TOKEN was refused');
    expect(refused.stderr).not.toContain(old.token);
  }, 30_000);
});

describe('baton token --server', () => {
  const ACME = {
    'hello.yaml': HELLO,
    'baton.config.yaml': 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: { workflows: tenants/acme }\n',
  };

  it("lets a namespace's admin make, list and revoke tokens of that namespace only", async () => {
    const dir = project(ACME);
    const env = isolated();
    const root = make(dir, env, '--role', 'admin', '--namespace', '*');
    const other = make(dir, env, '--role', 'viewer', '--name', 'default-viewer');
    const s = await serve(dir);
    const as = (token: string) => ({ ...env, BATON_TOKEN: token });

    const acmeAdmin = make(dir, as(root.token), '--role', 'admin', '--namespace', 'acme', '--name', 'acme-ops', '--server', s.base);
    expect(acmeAdmin).toMatchObject({ namespace: 'acme', roles: ['admin'] });
    // Without --namespace, a token of the asker's own namespace.
    const acmeViewer = make(dir, as(acmeAdmin.token), '--role', 'viewer', '--expires', '30d', '--server', s.base);
    expect(acmeViewer).toMatchObject({ namespace: 'acme', roles: ['viewer'], state: 'active' });
    expect(tokenRows(dir).find((r) => r.id === acmeViewer.id)).toMatchObject({ created_by: `token:${acmeAdmin.id}` });

    for (const namespace of ['default', '*']) {
      const refused = baton(['token', 'create', '--role', 'admin', '--namespace', namespace, '--server', s.base], { cwd: dir, env: as(acmeAdmin.token) });
      expect([refused.status, refused.stderr]).toEqual([2, expect.stringMatching(/an admin of namespace acme makes tokens of acme only.*ACCESS_DENIED/s)]);
    }
    const listed = JSON.parse(baton(['token', 'list', '--json', '--server', s.base], { cwd: dir, env: as(acmeAdmin.token) }).stdout) as { tokens: Made[] };
    expect(listed.tokens.map((t) => t.id).sort()).toEqual([acmeAdmin.id, acmeViewer.id].sort());
    expect(JSON.stringify(listed)).not.toMatch(/hash|baton_/);
    const everyone = JSON.parse(baton(['token', 'list', '--json', '--server', s.base], { cwd: dir, env: as(root.token) }).stdout) as { tokens: Made[] };
    expect(everyone.tokens).toHaveLength(4);

    const elsewhere = baton(['token', 'revoke', other.id, '--server', s.base], { cwd: dir, env: as(acmeAdmin.token) });
    expect([elsewhere.status, elsewhere.stderr]).toEqual([2, expect.stringMatching(/TOKEN_NOT_FOUND/)]);
    expect(baton(['token', 'revoke', acmeViewer.id, '--server', s.base], { cwd: dir, env: as(acmeAdmin.token) }).status).toBe(0);
    const gone = baton(['history', '--server', s.base], { cwd: dir, env: as(acmeViewer.token) });
    expect([gone.status, gone.stderr]).toEqual([2, expect.stringMatching(/AUTH_REVOKED/)]);

    const viewer = baton(['token', 'create', '--role', 'viewer', '--server', s.base], { cwd: dir, env: as(other.token) });
    expect([viewer.status, viewer.stderr]).toEqual([2, expect.stringMatching(/needs the role admin.*ask an admin for a token with that role.*ACCESS_DENIED/s)]);
  }, 60_000);

  it('talks to the server of the last baton login when --server has no URL', async () => {
    const dir = project({ 'hello.yaml': HELLO });
    const env = isolated();
    const nowhere = baton(['token', 'list', '--server'], { cwd: dir, env });
    expect([nowhere.status, nowhere.stderr]).toEqual([2, expect.stringMatching(/--server without a URL.*baton login URL.*CLI_NO_SERVER/s)]);

    const admin = make(dir, env, '--role', 'admin', '--name', 'laptop');
    const s = await serve(dir);
    const login = baton(['login', s.base, '--token', admin.token], { cwd: dir, env });
    expect(login.status, login.stderr).toBe(0);
    const file = path.join(env.XDG_CONFIG_HOME!, 'baton', 'credentials.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ servers: { [s.base]: { token: admin.token, actor: `token:${admin.id}` } }, default: s.base });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const listed = baton(['token', 'list', '--server'], { cwd: dir, env });
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${admin.id}\\s+laptop\\s+admin`));

    const out = baton(['logout'], { cwd: dir, env });
    expect(out.stdout).toContain(`logged out of ${s.base}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ servers: {} });
    expect(baton(['token', 'list', '--server'], { cwd: dir, env }).stderr).toMatch(/CLI_NO_SERVER/);
  }, 60_000);
});
