/**
 * Who may do what on `baton serve` (docs/access.md): every request is matched against the
 * one permission table (access/permissions.ts) before any handler runs; one that matches
 * no row is refused. A server whose store has never had a token listens on loopback only
 * and lets local callers do anything; once a token exists, every request but the public
 * ones needs one, sent as `Authorization: Bearer`, and only there (a token in the query
 * string is refused: it would land in logs and browser history).
 *
 * A token of one namespace sees nothing of another: asking for one is answered as if it
 * did not exist (404). Failed authentications are recorded in the audit trail and slowed:
 * an address that fails too often in a minute gets 429 for the rest of it, token or not.
 * State-changing requests are recorded once answered, refused ones included.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { recordAudit } from '../access/audit.js';
import { DEFAULT_NAMESPACE, EVERY_NAMESPACE, isNamespaceName } from '../access/names.js';
import { METRICS_PATH, ruleFor, type RouteRule } from '../access/permissions.js';
import { localServerCaller, type Principal } from '../access/principal.js';
import { allows, rolesGranting } from '../access/roles.js';
import { parseToken, secretMatches } from '../access/tokens.js';
import { httpStatusOf } from '../observability/error-categories.js';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';
import type { Store } from '../store/store.js';

export type AuthEnv = { Variables: { principal: Principal; audit?: { target?: string; detail?: Record<string, unknown> } } };

/** The caller of a request that passed authorization. */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal') as Principal | undefined;
  if (principal === undefined) throw new BatonError('INTERNAL', 'a handler ran without an authorized caller: its route is missing from the permission table');
  return principal;
}

/** What a handler adds to its request's audit entry: the run it started, a comment. */
export function auditNote(c: Context, note: { target?: string; detail?: Record<string, unknown> }): void {
  c.set('audit', { ...(c.get('audit') as object | undefined), ...note });
}

export interface AuthOptions {
  store: () => Store;
  log: (line: string) => void;
  /** Whether a namespace is served (a request for another is answered 404). */
  hasNamespace: (name: string) => boolean;
  /** Failed authentications one address may make in a minute before it gets 429; default 20. */
  failuresPerMinute?: number;
  /** Whether the app serves `method` on `path`: such a route missing from the permission table is refused, never served. */
  isRouted?: (method: string, path: string) => boolean;
  /** `/metrics` needs no token (baton.config.yaml server.metrics.auth: false); default false. */
  publicMetrics?: boolean;
}

/** The header a caller allowed more than one namespace (no tokens, or a `*` token) picks one with. */
export const NAMESPACE_HEADER = 'x-baton-namespace';

/** How stale a token's last_used_at may get before a request writes it again. */
const TOUCH_EVERY_MS = 60_000;

export function authorize(options: AuthOptions): MiddlewareHandler<AuthEnv> {
  const failures = new FailureCounter(options.failuresPerMinute ?? 20, options.log);
  // Once the store has a token it always has (revoked ones are kept): remember it.
  let tokensExist = false;
  const touched = new Map<string, number>();

  return async (c, next) => {
    const store = options.store();
    const rule = ruleFor(c.req.method, c.req.path);
    if (rule === undefined) {
      // A route the table does not list is refused; no route at all, the app answers 404 or 405.
      return options.isRouted?.(c.req.method, c.req.path) ? refuseUnlisted(c) : next();
    }
    if (c.req.query('token') !== undefined || c.req.query('access_token') !== undefined) {
      return refuse(c, new BatonError('AUTH_TOKEN_IN_QUERY', 'a token goes in the Authorization header (Authorization: Bearer <token>), never in the URL, where logs and histories keep it'));
    }
    if (rule.need === 'public' || rule.need === 'signed') return next();
    if (options.publicMetrics && rule.path === METRICS_PATH) return next();

    if (!tokensExist) tokensExist = await store.access.hasTokens();
    let principal: Principal;
    if (!tokensExist) {
      const namespace = c.req.header(NAMESPACE_HEADER) ?? DEFAULT_NAMESPACE;
      if (!isNamespaceName(namespace) || !options.hasNamespace(namespace)) return refuse(c, noNamespace(namespace));
      principal = localServerCaller(namespace, originOf(rule));
    } else {
      const address = remoteAddress(c);
      const wait = failures.blockedFor(address);
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return refuse(c, new BatonError('AUTH_RATE_LIMITED', `too many failed authentications from ${address}: try again in ${Math.ceil(wait / 1000)} s`));
      }
      const proven = await authenticate(store, c.req.header('authorization'));
      if (proven instanceof BatonError) {
        failures.add(address);
        await recordAudit(store, { actor: 'anonymous', roles: [], namespace: DEFAULT_NAMESPACE, origin: originOf(rule), scope: DEFAULT_NAMESPACE }, {
          action: 'auth.failed',
          target: `${c.req.method} ${c.req.path}`.slice(0, 300),
          outcome: 'refused',
          error: proven,
          detail: { address, ...(proven.details?.token ? { token: proven.details.token } : {}) },
        });
        c.header('WWW-Authenticate', 'Bearer realm="baton"');
        return refuse(c, proven);
      }
      const asked = c.req.header(NAMESPACE_HEADER);
      let namespace = proven.namespace;
      if (namespace === EVERY_NAMESPACE) namespace = asked ?? DEFAULT_NAMESPACE;
      else if (asked !== undefined && asked !== namespace) return refuse(c, noNamespace(asked));
      if (!isNamespaceName(namespace) || !options.hasNamespace(namespace)) return refuse(c, noNamespace(namespace));
      principal = { actor: `token:${proven.id}`, roles: proven.roles, namespace, origin: originOf(rule), scope: proven.namespace, token: { id: proven.id, ...(proven.name ? { name: proven.name } : {}) } };
      const now = Date.now();
      if (now - (touched.get(proven.id) ?? 0) > TOUCH_EVERY_MS) {
        touched.set(proven.id, now);
        await store.access.touchToken(proven.id, now);
      }
    }

    if (!allows(principal.roles, rule.need)) {
      const denied = new BatonError('ACCESS_DENIED', `${c.req.method} ${c.req.path} needs the role ${rolesGranting(rule.need).join(' or ')}; this token has ${principal.roles.join(', ') || 'none'}`, {
        details: { need: rule.need, roles: principal.roles },
      });
      await recordAudit(store, principal, { action: rule.action ?? 'access.denied', target: targetOf(rule, c.req.path), outcome: 'refused', error: denied });
      return refuse(c, denied);
    }
    c.set('principal', principal);
    await next();
    if (rule.action === undefined) return;
    const note = c.get('audit');
    const status = c.res.status;
    await recordAudit(store, principal, {
      action: rule.action,
      ...(note?.target ?? targetOf(rule, c.req.path) ? { target: note?.target ?? targetOf(rule, c.req.path) } : {}),
      outcome: status < 400 ? 'ok' : status >= 500 ? 'failed' : 'refused',
      ...(status >= 400 ? { error: c.error ?? new BatonError(status === 400 ? 'API_BAD_REQUEST' : 'UNKNOWN', `HTTP ${status}`) } : {}),
      ...(note?.detail ? { detail: note.detail } : {}),
    });
  };
}

/**
 * The token a request carries, checked: its row, not revoked, not expired, and its secret
 * the one whose hash is kept. Every way of failing is an AUTH_* error that says which.
 */
export async function authenticate(store: Store, header: string | undefined, now = Date.now()) {
  if (header === undefined || header.trim() === '') {
    return new BatonError('AUTH_MISSING', 'this server needs a token: send Authorization: Bearer <token> (baton login, or BATON_TOKEN, for the CLI; baton token create makes one)');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const parsed = match ? parseToken(match[1]) : undefined;
  if (parsed === undefined) return new BatonError('AUTH_BAD_TOKEN', 'the Authorization header is not "Bearer <token>" with a baton token (baton_...)');
  const record = await store.access.getToken(parsed.id);
  if (record === undefined || !secretMatches(parsed.secret, record.hash)) return new BatonError('AUTH_BAD_TOKEN', `token ${parsed.id} is not one this server knows`, { details: { token: parsed.id } });
  if (record.revoked_at !== undefined) return new BatonError('AUTH_REVOKED', `token ${parsed.id} was revoked ${new Date(record.revoked_at).toISOString()}: ask an admin for another`, { details: { token: parsed.id } });
  if (record.expires_at !== undefined && record.expires_at <= now) return new BatonError('AUTH_EXPIRED', `token ${parsed.id} expired ${new Date(record.expires_at).toISOString()}: ask an admin for another`, { details: { token: parsed.id } });
  return record;
}

/** A route whose path the app serves but the permission table does not list: refused, never served. */
function refuseUnlisted(c: Context): Response {
  return refuse(c, new BatonError('ACCESS_UNLISTED', `${c.req.method} ${c.req.path} is not in the permission table (src/access/permissions.ts), so nobody may use it`));
}

function refuse(c: Context, err: BatonError): Response {
  return c.json(errorDocument(err), httpStatusOf(err) as 400);
}

function noNamespace(name: string): BatonError {
  return new BatonError('NAMESPACE_NOT_FOUND', `no namespace ${JSON.stringify(name.slice(0, 80))} on this server for this caller`, { details: { namespace: name.slice(0, 80) } });
}

function originOf(rule: RouteRule): Principal['origin'] {
  return rule.path === '/mcp' ? 'mcp' : 'api';
}

/** What a request acts on, from its path: the run id, the workflow, the token, the schedule, the event. */
function targetOf(rule: RouteRule, path: string): string | undefined {
  const names = rule.path.split('/');
  const parts = path.split('/');
  for (const name of ['{id}', '{name}']) {
    const at = names.indexOf(name);
    if (at >= 0 && parts[at] !== undefined) return decodeURIComponent(parts[at]).slice(0, 300);
  }
  return undefined;
}

function remoteAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/** Failed authentications per address over the last minute; past the limit the address waits out the minute. */
class FailureCounter {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly log: (line: string) => void,
  ) {}

  add(address: string, now = Date.now()): void {
    const times = this.recent(address, now);
    times.push(now);
    this.seen.set(address, times);
    if (times.length === this.limit) this.log(`${address}: ${this.limit} failed authentications in a minute; refusing it (429) until they age out`);
    // Bounded: a spray from many addresses cannot grow this without end.
    if (this.seen.size > 10_000) for (const key of [...this.seen.keys()].slice(0, 5_000)) this.seen.delete(key);
  }

  /** How long `address` must wait, in ms; 0 when it may try. */
  blockedFor(address: string, now = Date.now()): number {
    const times = this.recent(address, now);
    if (times.length < this.limit) return 0;
    return times[times.length - this.limit] + 60_000 - now;
  }

  private recent(address: string, now: number): number[] {
    const times = (this.seen.get(address) ?? []).filter((t) => now - t < 60_000);
    if (times.length === 0) this.seen.delete(address);
    return times;
  }
}

/** The run a request names (a full id or a unique prefix), among its caller's namespace's: another's is not found. */
export function runIdOf(c: Context, daemon: { store: Store }, given: string): Promise<string> {
  return daemon.store.runs.resolveRunId(given, principalOf(c).namespace);
}
