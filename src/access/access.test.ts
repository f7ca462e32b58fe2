import { describe, expect, it } from 'vitest';
import { checkNamespace, isNamespaceName } from './names.js';
import { allows, parseRoles, rolesGranting } from './roles.js';
import { hashSecret, newToken, parseToken, secretMatches } from './tokens.js';

describe('roles', () => {
  it('grant what each is for, and approver apart from operator', () => {
    expect(allows(['viewer'], 'read')).toBe(true);
    expect(allows(['viewer'], 'operate')).toBe(false);
    expect(allows(['operator'], 'approve')).toBe(false);
    expect(allows(['approver'], 'operate')).toBe(false);
    expect(allows(['operator', 'approver'], 'approve')).toBe(true);
    expect(allows(['operator', 'approver'], 'admin')).toBe(false);
    expect(allows([], 'read')).toBe(false);
    expect(rolesGranting('approve')).toEqual(['approver', 'admin']);
  });

  it('are parsed from flags, and a wrong one is named', () => {
    expect(parseRoles(['approver,operator'])).toEqual(['operator', 'approver']);
    expect(parseRoles(['viewer', 'viewer'])).toEqual(['viewer']);
    expect(() => parseRoles(['root'])).toThrow(/no role "root": the roles are viewer, operator, approver, admin/);
    expect(() => parseRoles([''])).toThrow(/no role ""/);
  });
});

describe('namespace names', () => {
  it('are plain words that cannot reach a path or a query', () => {
    for (const good of ['default', 'acme', 'team-7', 'a']) expect(isNamespaceName(good)).toBe(true);
    for (const bad of ['', '..', '../x', 'a/b', 'a\\b', 'Acme', '-a', 'a-', "a'--", 'a b', 'x'.repeat(64), '*']) expect(isNamespaceName(bad)).toBe(false);
    expect(() => checkNamespace('../etc')).toThrow(/is not a namespace name/);
  });
});

describe('tokens', () => {
  it('carry an id and a secret; only the secret is hashed, and the hash alone proves nothing', () => {
    const made = newToken();
    const parsed = parseToken(made.token)!;
    expect(parsed.id).toBe(made.id);
    expect(made.token).toMatch(/^baton_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    expect(made.hash).toBe(hashSecret(parsed.secret));
    expect(made.token).not.toContain(made.hash);
    expect(secretMatches(parsed.secret, made.hash)).toBe(true);
    expect(secretMatches(`${parsed.secret.slice(0, -1)}A`, made.hash)).toBe(parsed.secret.endsWith('A'));
    expect(secretMatches(parsed.secret, 'not hex')).toBe(false);
    expect(newToken().id).not.toBe(made.id);
  });

  it('are recognised only in their own shape', () => {
    expect(parseToken('baton_short_x')).toBeUndefined();
    expect(parseToken(`Bearer baton_${'a'.repeat(12)}_${'b'.repeat(43)}`)).toBeUndefined();
    expect(parseToken(`baton_${'a'.repeat(12)}_${'b'.repeat(43)}`)).toEqual({ id: 'a'.repeat(12), secret: 'b'.repeat(43) });
  });
});
