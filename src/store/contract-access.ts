import { expect, it } from 'vitest';
import { T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { NewAuditEntry, TokenRecord } from './access.js';

const token = (over: Partial<TokenRecord> = {}): TokenRecord => ({ id: 'aaaaaaaaaaaa', roles: ['viewer'], namespace: 'default', hash: 'ab'.repeat(32), created_at: T0, created_by: 'user:ops', ...over });
const entry = (over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({ at: T0, actor: 'token:aaaaaaaaaaaa', roles: ['operator'], namespace: 'default', origin: 'api', action: 'run.start', outcome: 'ok', ...over });

export function accessContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it('keeps tokens by id, newest first, by namespace, and refuses an id twice', async () => {
    const a = store().access;
    expect(await a.hasTokens()).toBe(false);
    await a.addToken(token({ name: 'ci', roles: ['operator', 'approver'], expires_at: T0 + 1000 }));
    await a.addToken(token({ id: 'bbbbbbbbbbbb', namespace: 'acme', created_at: T0 + 1 }));
    await a.addToken(token({ id: 'cccccccccccc', namespace: '*', roles: ['admin'], created_at: T0 + 2 }));
    expect(await a.getToken('aaaaaaaaaaaa')).toEqual(token({ name: 'ci', roles: ['operator', 'approver'], expires_at: T0 + 1000 }));
    expect(await a.getToken('zzzzzzzzzzzz')).toBeUndefined();
    expect((await a.listTokens()).map((t) => t.id)).toEqual(['cccccccccccc', 'bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
    expect((await a.listTokens({ namespace: 'acme' })).map((t) => t.id)).toEqual(['bbbbbbbbbbbb']);
    expect((await a.listTokens({ namespace: '*' })).map((t) => t.id)).toEqual(['cccccccccccc']);
    await expect(a.addToken(token())).rejects.toMatchObject({ code: 'STORE_TOKEN_EXISTS' });
    expect(await a.hasTokens()).toBe(true);
  });

  it('revokes once (the first time is kept), and still has tokens with every one revoked', async () => {
    const a = store().access;
    await a.addToken(token());
    expect(await a.revokeToken('aaaaaaaaaaaa', T0 + 5)).toMatchObject({ revoked_at: T0 + 5 });
    expect(await a.revokeToken('aaaaaaaaaaaa', T0 + 9)).toMatchObject({ revoked_at: T0 + 5 });
    expect(await a.revokeToken('zzzzzzzzzzzz', T0)).toBeUndefined();
    expect(await a.hasTokens()).toBe(true);
    await a.touchToken('aaaaaaaaaaaa', T0 + 7);
    expect((await a.getToken('aaaaaaaaaaaa'))?.last_used_at).toBe(T0 + 7);
  });

  it('appends to the audit trail and reads it newest first, with filters and paging', async () => {
    const a = store().access;
    const first = await a.audit(entry({ detail: { comment: 'ship it', nested: { n: 1 } }, target: '01RUN' }));
    const second = await a.audit(entry({ at: T0 + 10, actor: 'anonymous', roles: [], action: 'auth.failed', outcome: 'refused', code: 'AUTH_MISSING' }));
    const third = await a.audit(entry({ at: T0 + 20, namespace: 'acme', origin: 'mcp', action: 'run.cancel' }));
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    const all = await a.listAudit();
    expect(all.map((e) => e.id)).toEqual([third, second, first]);
    expect(all[2]).toEqual({ ...entry({ detail: { comment: 'ship it', nested: { n: 1 } }, target: '01RUN' }), id: first });
    expect(all[1]).toMatchObject({ roles: [], code: 'AUTH_MISSING', outcome: 'refused' });
    expect((await a.listAudit({ since: T0 + 10 })).map((e) => e.id)).toEqual([third, second]);
    expect((await a.listAudit({ actor: 'anonymous' })).map((e) => e.id)).toEqual([second]);
    expect((await a.listAudit({ namespace: 'acme' })).map((e) => e.id)).toEqual([third]);
    expect((await a.listAudit({ action: 'run.start' })).map((e) => e.id)).toEqual([first]);
    expect((await a.listAudit({ before: third, limit: 1 })).map((e) => e.id)).toEqual([second]);
  });

  it('applies every filter given together, whichever one leads', async () => {
    const a = store().access;
    const ids: number[] = [];
    for (const [i, [actor, namespace, action]] of [
      ['token:a', 'default', 'run.start'],
      ['token:a', 'acme', 'run.start'],
      ['token:b', 'acme', 'run.cancel'],
      ['token:a', 'acme', 'run.cancel'],
      ['token:a', 'acme', 'run.start'],
    ].entries()) {
      ids.push(await a.audit(entry({ at: T0 + i * 10, actor, namespace, action })));
    }
    const found = async (filter: Parameters<typeof a.listAudit>[0]) => (await a.listAudit(filter)).map((e) => ids.indexOf(e.id));
    expect(await found({ actor: 'token:a', namespace: 'acme', action: 'run.start' })).toEqual([4, 1]);
    expect(await found({ actor: 'token:a', since: T0 + 10, before: ids[4] })).toEqual([3, 1]);
    expect(await found({ namespace: 'acme', action: 'run.cancel', since: T0 + 25 })).toEqual([3]);
    expect(await found({ since: T0 + 10, action: 'run.start', limit: 1 })).toEqual([4]);
    expect(await found({ since: T0 + 10, before: ids[3] })).toEqual([2, 1]);
    expect(await found({ action: 'run.cancel', before: ids[3] })).toEqual([2]);
    expect(await found({ limit: 0 })).toEqual([]);
  });

  it('reads at most 100 entries unless asked for more', async () => {
    const a = store().access;
    for (let i = 0; i < 120; i++) await a.audit(entry({ at: T0 + i }));
    expect(await a.listAudit()).toHaveLength(100);
    expect(await a.listAudit({ limit: 500 })).toHaveLength(120);
  });
}
