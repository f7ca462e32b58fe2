/**
 * What only SQLite's access store has: an audit trail the database itself keeps
 * append-only and reads a page of through an index, tokens and entries seen by another
 * connection to the file, and a file from before namespaces whose runs, firings and
 * schedules land in `default`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { T0 } from '../contract-fixtures.js';
import queries from './access.sql';
import { migrate } from './migrate.js';
import { openSqliteStore } from './index.js';
import { parseNamedQueries } from '../named-queries.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-access-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('refuses to change or delete an audit entry, whoever asks', async () => {
  const file = path.join(mkdtempSync(path.join(root, 'a-')), 'baton.db');
  const store = openSqliteStore(file);
  await store.access.audit({ at: T0, actor: 'user:ops', roles: ['admin'], namespace: 'default', origin: 'cli', action: 'token.create', target: 'aaaaaaaaaaaa', outcome: 'ok' });
  await store.close();
  const db = new Database(file);
  try {
    expect(() => db.prepare("UPDATE audit SET outcome = 'refused'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 1 });
  } finally {
    db.close();
  }
});

it('reads a page of the trail through an index, whichever filter leads', async () => {
  const file = path.join(mkdtempSync(path.join(root, 'd-')), 'baton.db');
  await openSqliteStore(file).close();
  const db = new Database(file);
  // Without an index to lead, SQLite walks every row of the trail to fill a page of a rare actor's entries.
  const expected: Record<string, RegExp> = {
    listAuditByActor: /USING INDEX audit_by_actor \(actor=\? AND id<\?\)/,
    listAuditByNamespace: /USING INDEX audit_by_namespace \(namespace=\? AND id<\?\)/,
    listAuditByAction: /USING INDEX audit_by_action \(action=\? AND id<\?\)/,
    listAuditSince: /USING INDEX audit_by_at \(at>\?\)/,
    listAudit: /USING INTEGER PRIMARY KEY \(rowid<\?\)/,
  };
  try {
    const statements = [...parseNamedQueries(queries)].filter(([name]) => name.startsWith('listAudit'));
    expect(statements.map(([name]) => name).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, text] of statements) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${text}`).all({ since: T0, actor: 'token:a', namespace: 'acme', action: 'run.start', before: 10, limit: 100 }) as { detail: string }[];
      expect(plan[0].detail, name).toMatch(expected[name]);
    }
  } finally {
    db.close();
  }
});

it('shares tokens and the trail with every connection to the file', async () => {
  const file = path.join(mkdtempSync(path.join(root, 'b-')), 'baton.db');
  const one = openSqliteStore(file);
  const two = openSqliteStore(file);
  try {
    expect(await two.access.hasTokens()).toBe(false);
    await one.access.addToken({ id: 'aaaaaaaaaaaa', roles: ['viewer'], namespace: 'default', hash: 'cd'.repeat(32), created_at: T0, created_by: 'user:ops' });
    expect(await two.access.hasTokens()).toBe(true);
    expect((await two.access.getToken('aaaaaaaaaaaa'))?.roles).toEqual(['viewer']);
    await two.access.revokeToken('aaaaaaaaaaaa', T0 + 1);
    expect((await one.access.getToken('aaaaaaaaaaaa'))?.revoked_at).toBe(T0 + 1);
    await expect(two.access.addToken({ id: 'aaaaaaaaaaaa', roles: ['admin'], namespace: '*', hash: 'ef'.repeat(32), created_at: T0 + 2, created_by: 'user:ops' })).rejects.toMatchObject({ code: 'STORE_TOKEN_EXISTS' });
    const id = await one.access.audit({ at: T0, actor: 'user:ops', roles: ['admin'], namespace: 'default', origin: 'cli', action: 'token.revoke', target: 'aaaaaaaaaaaa', outcome: 'ok' });
    expect(await two.access.listAudit()).toMatchObject([{ id, action: 'token.revoke', roles: ['admin'] }]);
  } finally {
    await one.close();
    await two.close();
  }
});

it('puts what a file kept before namespaces in `default`', async () => {
  const file = path.join(mkdtempSync(path.join(root, 'c-')), 'baton.db');
  const db = new Database(file);
  migrate(db, 7);
  db.prepare("INSERT INTO runs (id, workflow, status, created_at, updated_at) VALUES ('01OLD', 'deploy', 'succeeded', ?, ?)").run(T0, T0);
  db.prepare("INSERT INTO schedules (id, workflow, paused, created_at) VALUES ('file:deploy:0', 'deploy', 1, ?)").run(T0);
  db.prepare("INSERT INTO trigger_firings (workflow, trigger, source, at, outcome, delivery) VALUES ('deploy', 'webhook', '/hooks/d', ?, 'started', 'gh-1')").run(T0);
  db.close();
  const store = openSqliteStore(file);
  try {
    expect((await store.runs.getRun('01OLD'))?.namespace).toBe('default');
    expect(await store.runs.resolveRunId('01OLD', 'default')).toBe('01OLD');
    await expect(store.runs.resolveRunId('01OLD', 'acme')).rejects.toMatchObject({ code: 'STORE_RUN_NOT_FOUND' });
    expect(await store.triggers.listSchedules('default')).toMatchObject([{ id: 'file:deploy:0', namespace: 'default', paused: true }]);
    expect(await store.triggers.listSchedules('acme')).toEqual([]);
    // The same delivery in another namespace is another delivery.
    const again = await store.triggers.recordFiring({ namespace: 'acme', workflow: 'deploy', trigger: 'webhook', source: '/hooks/d', at: T0 + 1, outcome: 'started', delivery: 'gh-1' });
    expect('firing' in again).toBe(true);
    const replay = await store.triggers.recordFiring({ workflow: 'deploy', trigger: 'webhook', source: '/hooks/d', at: T0 + 2, outcome: 'started', delivery: 'gh-1' });
    expect('duplicate' in replay).toBe(true);
  } finally {
    await store.close();
  }
});
