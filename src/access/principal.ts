/**
 * Who is acting, as every front end hands it down: the API and MCP from the request's
 * token, the CLI on a local store as the OS user, a trigger as itself. What they may do
 * is their roles (roles.ts) within their namespace; the audit trail records the rest.
 */
import os from 'node:os';
import type { AuditOrigin } from '../store/access.js';
import { DEFAULT_NAMESPACE } from './names.js';
import { ROLES, type Role } from './roles.js';

export interface Principal {
  /** As the audit trail names them: `token:<id>`, `user:<name>`, `trigger:<type>:<source>`, `local`. */
  actor: string;
  roles: readonly Role[];
  /** The namespace they act in now: their token's, or the one a `*` token chose for this request. */
  namespace: string;
  origin: AuditOrigin;
  /** The token they proved themselves with, if any. */
  token?: { id: string; name?: string };
  /**
   * The namespaces they may act in: their token's, or `*` (an admin token of every
   * namespace, the CLI on a local store, a local caller of a server without tokens).
   */
  scope: string;
}

/** The CLI acting on a local store: whoever can open the store file may do anything in it. */
export function localUser(namespace = DEFAULT_NAMESPACE): Principal {
  let name: string;
  try {
    name = os.userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return { actor: `user:${name}`, roles: [...ROLES], namespace, origin: 'cli', scope: '*' };
}

/** A server without tokens (it listens on loopback only): a local process may do anything. */
export function localServerCaller(namespace: string, origin: AuditOrigin): Principal {
  return { actor: 'local', roles: [...ROLES], namespace, origin, scope: '*' };
}

/**
 * Who answers an approval, as its `approvers` are matched (engine/steps/answer.ts): the names
 * a principal goes by (a token's name; the OS user of the CLI) and its roles.
 */
export function answererOf(who: Principal): { names: string[]; roles: readonly Role[] } {
  const names: string[] = [];
  if (who.token?.name !== undefined) names.push(who.token.name);
  if (who.actor.startsWith('user:')) names.push(who.actor.slice(5));
  return { names, roles: who.roles };
}

/** A trigger of `baton serve` starting a run. */
export function triggerActor(type: string, source: string, namespace: string): Principal {
  return { actor: `trigger:${type}:${source}`, roles: ['operator'], namespace, origin: type === 'schedule' ? 'schedule' : 'trigger', scope: namespace };
}
