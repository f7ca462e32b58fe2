/**
 * Making, listing and revoking tokens, for `baton token` and the API alike (docs/access.md).
 * Who may make what: a caller of every namespace (`*`: the CLI on a local store, an admin
 * token of `*`) any token; an admin of one namespace only tokens of that namespace, never
 * a `*` one. Tokens of a namespace the caller cannot see are not found.
 */
import { BatonError } from '../observability/errors.js';
import type { AccessStore, TokenRecord } from '../store/access.js';
import { checkNamespace, EVERY_NAMESPACE } from './names.js';
import type { Principal } from './principal.js';
import type { Role } from './roles.js';
import { newToken } from './tokens.js';

export interface TokenRequest {
  roles: Role[];
  namespace: string;
  /** When it stops working (ms since epoch). */
  expires_at?: number;
  name?: string;
}

/** A token as lists show it: never its hash. */
export interface TokenView {
  id: string;
  name?: string;
  roles: Role[];
  namespace: string;
  created_at: string;
  created_by: string;
  expires_at?: string;
  revoked_at?: string;
  last_used_at?: string;
  /** `active`, `expired` or `revoked`. */
  state: 'active' | 'expired' | 'revoked';
}

/** Ids as tokens carry them: nothing else reaches the store. */
const TOKEN_ID = /^[0-9a-hjkmnp-tv-z]{12}$/;

export async function createToken(store: AccessStore, who: Principal, request: TokenRequest, now = Date.now()): Promise<{ token: string; view: TokenView }> {
  const namespace = request.namespace === EVERY_NAMESPACE ? EVERY_NAMESPACE : checkNamespace(request.namespace, '--namespace');
  if (namespace === EVERY_NAMESPACE && !(request.roles.length === 1 && request.roles[0] === 'admin')) {
    throw new BatonError('ACCESS_BAD_NAMESPACE', 'a token of every namespace (*) is an admin token: give it --role admin alone, or name its namespace');
  }
  if (who.scope !== EVERY_NAMESPACE && namespace !== who.scope) {
    throw new BatonError('ACCESS_DENIED', `an admin of namespace ${who.scope} makes tokens of ${who.scope} only, not of ${namespace}`, { details: { namespace } });
  }
  if (request.expires_at !== undefined && request.expires_at <= now) throw new BatonError('USAGE_BAD_DURATION', 'the token would have expired already: give a time in the future');
  if (request.name !== undefined && (request.name.length > 200 || [...request.name].some((ch) => ch.charCodeAt(0) < 32))) throw new BatonError('CLI_USAGE', 'a token name is at most 200 characters, without control characters');
  const made = newToken();
  const record: TokenRecord = {
    id: made.id,
    ...(request.name ? { name: request.name } : {}),
    roles: request.roles,
    namespace,
    hash: made.hash,
    created_at: now,
    created_by: who.actor,
    ...(request.expires_at !== undefined ? { expires_at: request.expires_at } : {}),
  };
  await store.addToken(record);
  return { token: made.token, view: tokenView(record, now) };
}

/** The tokens the caller may see: every one for `*`, else its namespace's. */
export async function listTokens(store: AccessStore, who: Principal, namespace?: string, now = Date.now()): Promise<TokenView[]> {
  const wanted = who.scope === EVERY_NAMESPACE ? namespace : who.scope;
  return (await store.listTokens(wanted === undefined ? {} : { namespace: wanted })).map((record) => tokenView(record, now));
}

export async function revokeToken(store: AccessStore, who: Principal, id: string, now = Date.now()): Promise<TokenView> {
  const found = TOKEN_ID.test(id) ? await store.getToken(id) : undefined;
  if (found === undefined || (who.scope !== EVERY_NAMESPACE && found.namespace !== who.scope)) {
    throw new BatonError('TOKEN_NOT_FOUND', `no token ${JSON.stringify(id.slice(0, 40))}: baton token list shows their ids`, { details: { token: id.slice(0, 40) } });
  }
  const revoked = await store.revokeToken(id, now);
  return tokenView(revoked!, now);
}

export function tokenView(record: TokenRecord, now = Date.now()): TokenView {
  const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());
  const state = record.revoked_at !== undefined ? 'revoked' : record.expires_at !== undefined && record.expires_at <= now ? 'expired' : 'active';
  return {
    id: record.id,
    ...(record.name ? { name: record.name } : {}),
    roles: record.roles,
    namespace: record.namespace,
    created_at: iso(record.created_at)!,
    created_by: record.created_by,
    ...(record.expires_at !== undefined ? { expires_at: iso(record.expires_at)! } : {}),
    ...(record.revoked_at !== undefined ? { revoked_at: iso(record.revoked_at)! } : {}),
    ...(record.last_used_at !== undefined ? { last_used_at: iso(record.last_used_at)! } : {}),
    state,
  };
}

