/**
 * MCP over Streamable HTTP at /mcp (docs/access.md#mcp-over-http): the same tokens and roles
 * as the API (server/auth.ts has checked the token before this runs), stateless (a server
 * instance per request, no sessions to steal or leak), and guarded against DNS rebinding:
 * a request whose Host is not one of this server's names, or whose Origin (a browser's) is
 * not one of them, is refused before the protocol sees it. The SDK is loaded at the first
 * request: a server nobody asks over MCP never pays for it.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { httpStatusOf } from '../observability/error-categories.js';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';
import type { Principal } from '../access/principal.js';
import { principalOf } from './auth.js';
import type { Daemon } from './daemon.js';
import { serverTools } from './mcp-tools.js';

export interface McpHttpOptions {
  /** Host names (no port) this server may be reached by, besides loopback's. */
  allowedHosts?: readonly string[];
}

type Handler = { fetch: (request: Request, options?: { authInfo?: { token: string; clientId: string; scopes: string[]; extra?: Record<string, unknown> } }) => Promise<Response> };

export function mountMcp(app: OpenAPIHono, daemon: Daemon, options: McpHttpOptions = {}): void {
  let handler: Promise<{ handler: Handler; hosts: string[]; validateHost: (h: string | null, allowed: string[]) => { ok: boolean }; validateOrigin: (o: string | null, allowed: string[]) => { ok: boolean } }> | undefined;
  const load = () =>
    (handler ??= (async () => {
      const sdk = await import('@modelcontextprotocol/server');
      const { buildServer } = await import('../mcp/server.js');
      const hosts = [...sdk.localhostAllowedHostnames(), ...(options.allowedHosts ?? [])];
      const created = sdk.createMcpHandler(
        (ctx) => {
          const who = ctx.authInfo?.extra?.principal as Principal | undefined;
          if (who === undefined) throw new BatonError('INTERNAL', 'an MCP request reached the tools without an authorized caller');
          return buildServer(sdk.McpServer, serverTools(daemon, who));
        },
        { legacy: 'stateless', onerror: (error) => daemon.log(`mcp: ${error.message}`) },
      );
      return { handler: created as unknown as Handler, hosts, validateHost: sdk.validateHostHeader, validateOrigin: sdk.validateOriginHeader };
    })());

  const serve = async (c: Context): Promise<Response> => {
    const { handler: mcp, hosts, validateHost, validateOrigin } = await load();
    const host = c.req.header('host') ?? null;
    if (!validateHost(host, hosts).ok) {
      return refuse(c, new BatonError('MCP_BAD_HOST', `Host ${JSON.stringify((host ?? '').slice(0, 100))} is not a name of this server: a DNS rebinding attempt, or a name to add to server.allowed_hosts in baton.config.yaml`));
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && !validateOrigin(origin, hosts).ok) {
      return refuse(c, new BatonError('MCP_BAD_ORIGIN', `Origin ${JSON.stringify(origin.slice(0, 100))} may not call this server's MCP endpoint: only pages of its own names may (server.allowed_hosts)`));
    }
    const who = principalOf(c);
    return mcp.fetch(c.req.raw, { authInfo: { token: who.token?.id ?? 'local', clientId: who.actor, scopes: [...who.roles], extra: { principal: who } } });
  };
  app.post('/mcp', serve);
  app.get('/mcp', serve);
  app.delete('/mcp', serve);
}

function refuse(c: Context, err: BatonError): Response {
  return c.json(errorDocument(err), httpStatusOf(err) as 403);
}
