/**
 * Roles and what they allow (docs/access.md). A token carries one or more roles within one
 * namespace; every route, stream, MCP tool and webhook needs one permission (permissions.ts).
 *
 * - viewer reads: runs, logs, workflows, schedules, triggers.
 * - operator also acts on runs: starts, cancels, retries, resumes them, and emits events.
 * - approver reads and answers approvals. Kept apart from operator on purpose (segregation
 *   of duties): the token that starts a deploy need not be able to approve it. A person
 *   who does both holds both roles.
 * - admin may do everything, and manages schedules, tokens and the audit trail.
 */
import { BatonError } from '../observability/errors.js';

import { ROLES, type Role } from '../store/access.js';

export { ROLES, type Role };

/** What a request needs: `public` needs nothing (health, the API's own description). */
export type Permission = 'read' | 'operate' | 'approve' | 'admin';

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  operator: ['read', 'operate'],
  approver: ['read', 'approve'],
  admin: ['read', 'operate', 'approve', 'admin'],
};

/** Whether any of `roles` grants `need`. */
export function allows(roles: readonly Role[], need: Permission): boolean {
  return roles.some((role) => GRANTS[role].includes(need));
}

/** The roles a permission is granted by, for messages ("needs operator or admin"). */
export function rolesGranting(need: Permission): Role[] {
  return ROLES.filter((role) => GRANTS[role].includes(need));
}

/** `operator,approver` (or repeated --role flags joined) as roles; ACCESS_BAD_ROLE names the bad one. */
export function parseRoles(values: readonly string[]): Role[] {
  const out = new Set<Role>();
  for (const value of values.flatMap((v) => v.split(','))) {
    const role = value.trim();
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new BatonError('ACCESS_BAD_ROLE', `no role ${JSON.stringify(role)}: the roles are ${ROLES.join(', ')}`, { details: { role } });
    }
    out.add(role as Role);
  }
  if (out.size === 0) throw new BatonError('ACCESS_BAD_ROLE', `give a role: ${ROLES.join(', ')}`);
  return ROLES.filter((role) => out.has(role));
}
