/**
 * The API's routes for access (server/api.ts has the rest): who the caller is, the tokens
 * of their namespace (make, list, revoke: admin), and the audit trail (admin). What a token
 * may make and see is decided below the front ends (access/token-admin.ts).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errors } from './api-schemas.js';
import { EVERY_NAMESPACE } from '../access/names.js';
import { ROLES } from '../access/roles.js';
import { createToken, listTokens, revokeToken } from '../access/token-admin.js';
import type { Daemon } from './daemon.js';
import { auditNote, principalOf } from './auth.js';

const Role = z.enum(ROLES);
const Token = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    roles: z.array(Role),
    namespace: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    expires_at: z.string().optional(),
    revoked_at: z.string().optional(),
    last_used_at: z.string().optional(),
    state: z.enum(['active', 'expired', 'revoked']),
  })
  .openapi('Token');
const TokenId = z
  .string()
  .regex(/^[0-9a-hjkmnp-tv-z]{12}$/, 'a token id as baton token list shows it (12 letters and digits)')
  .openapi({ param: { name: 'id', in: 'path' }, example: '4f9kq2m7x1ab' });
const AuditEntry = z
  .object({
    id: z.number(),
    at: z.number(),
    actor: z.string(),
    roles: z.array(z.string()),
    namespace: z.string(),
    origin: z.string(),
    action: z.string(),
    target: z.string().optional(),
    outcome: z.enum(['ok', 'refused', 'failed']),
    code: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('AuditEntry');

const routes = {
  whoami: createRoute({
    method: 'get',
    path: '/api/whoami',
    summary: "The caller as this server sees them: actor, roles, namespace, token; for a caller who may act in any namespace (scope `*`), the namespaces this server serves, to pick one with X-Baton-Namespace",
    responses: {
      200: {
        description: 'the caller',
        content: { 'application/json': { schema: z.object({ actor: z.string(), roles: z.array(z.string()), namespace: z.string(), scope: z.string(), token: z.object({ id: z.string(), name: z.string().optional() }).optional(), namespaces: z.array(z.string()).optional() }) } },
      },
    },
  }),
  tokens: createRoute({
    method: 'get',
    path: '/api/tokens',
    summary: "The tokens of the caller's namespace (every namespace's for an admin of `*`), never their secrets",
    request: { query: z.object({ namespace: z.string().max(63).optional().describe('only this namespace (an admin of `*`)') }) },
    responses: { 200: { description: 'tokens, newest first', content: { 'application/json': { schema: z.object({ tokens: z.array(Token) }) } } }, ...errors(400) },
  }),
  createToken: createRoute({
    method: 'post',
    path: '/api/tokens',
    summary: 'Make a token: the answer is the only time its secret is shown',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z
              .object({
                roles: z.array(Role).min(1).max(4),
                namespace: z.string().min(1).max(63).optional().describe("default: the caller's namespace"),
                expires_in: z.number().int().min(1).max(10 * 365 * 86_400).optional().describe('seconds from now'),
                name: z.string().min(1).max(200).optional(),
              })
              .strict(),
          },
        },
      },
    },
    responses: { 201: { description: 'made', content: { 'application/json': { schema: z.object({ token: z.string(), ...Token.shape }) } } }, ...errors(400, 403) },
  }),
  revokeToken: createRoute({
    method: 'post',
    path: '/api/tokens/{id}/revoke',
    summary: 'Revoke a token: it stops working at once, on every server of the store',
    request: { params: z.object({ id: TokenId }) },
    responses: { 200: { description: 'revoked', content: { 'application/json': { schema: Token } } }, ...errors(400, 404) },
  }),
  audit: createRoute({
    method: 'get',
    path: '/api/audit',
    summary: "The audit trail of the caller's namespace, newest first: every state-changing action and refused attempt",
    request: {
      query: z.object({
        since: z.coerce.number().int().min(0).optional().describe('only entries at or after this time (ms since epoch)'),
        actor: z.string().min(1).max(300).optional(),
        action: z.string().min(1).max(100).optional(),
        namespace: z.string().max(63).optional().describe('only this namespace (an admin of `*`)'),
        before: z.coerce.number().int().min(1).optional().describe('only entries older than this id: the last id of the page before'),
        limit: z.coerce.number().int().min(1).max(5000).optional(),
      }),
    },
    responses: { 200: { description: 'entries', content: { 'application/json': { schema: z.object({ entries: z.array(AuditEntry) }) } } }, ...errors(400) },
  }),
};

export function mountAccessRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(routes.whoami, (c) => {
    const who = principalOf(c);
    // Only a caller who may act in any namespace learns which there are: a tenant's token is not told of the others.
    const namespaces = who.scope === EVERY_NAMESPACE ? { namespaces: [...daemon.catalogs.keys()].sort() } : {};
    return c.json({ actor: who.actor, roles: [...who.roles], namespace: who.namespace, scope: who.scope, ...(who.token ? { token: who.token } : {}), ...namespaces }, 200);
  });
  app.openapi(routes.tokens, async (c) => c.json({ tokens: await listTokens(daemon.store.access, principalOf(c), c.req.valid('query').namespace) }, 200));
  app.openapi(routes.createToken, async (c) => {
    const who = principalOf(c);
    const body = c.req.valid('json');
    const made = await createToken(daemon.store.access, who, {
      roles: body.roles,
      namespace: body.namespace ?? (who.scope === EVERY_NAMESPACE ? who.namespace : who.scope),
      ...(body.expires_in !== undefined ? { expires_at: Date.now() + body.expires_in * 1000 } : {}),
      ...(body.name !== undefined ? { name: body.name } : {}),
    });
    auditNote(c, { target: made.view.id, detail: { roles: made.view.roles, namespace: made.view.namespace } });
    return c.json({ token: made.token, ...made.view }, 201);
  });
  app.openapi(routes.revokeToken, async (c) => {
    const view = await revokeToken(daemon.store.access, principalOf(c), c.req.valid('param').id);
    return c.json(view, 200);
  });
  app.openapi(routes.audit, async (c) => {
    const who = principalOf(c);
    const q = c.req.valid('query');
    // One namespace's admin reads that namespace's trail only.
    const namespace = who.scope === EVERY_NAMESPACE ? q.namespace : who.scope;
    const entries = await daemon.store.access.listAudit({
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(namespace ? { namespace } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
      limit: q.limit ?? 100,
    });
    return c.json({ entries }, 200);
  });
}
