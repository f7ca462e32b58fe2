/**
 * What the API answers outside its routes: 405 (with Allow) for a method a path does not
 * take, 404 for a path it does not serve, the error document for anything thrown (Hono's
 * own refusals of a malformed body as 400, not 500); and whether a route exists, which the
 * authorization in front of it needs (a served route missing from the permission table is
 * refused, never served).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { httpStatusOf } from '../observability/error-categories.js';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';
import { isUiPath, serveUi } from './ui-static.js';

/** `uiDir`: the built web UI (dist/ui), answered for any GET outside the API (server/ui-static.ts); none: not served. */
export function answerUnrouted(app: OpenAPIHono, uiDir?: string): void {
  app.notFound((c) => {
    if (uiDir !== undefined && isUiPath(c.req.method, c.req.path)) return serveUi(c, uiDir);
    const allowed = methodsFor(app, c.req.path);
    if (allowed.length > 0) {
      c.header('Allow', allowed.join(', '));
      return c.json(errorDocument(new BatonError('API_METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${c.req.path}: use ${allowed.join(' or ')}`)), 405);
    }
    return c.json(errorDocument(new BatonError('API_NOT_FOUND', `no route ${c.req.method} ${c.req.path}: see /api/openapi.json`)), 404);
  });
  app.onError((err, c) => {
    // Hono's own refusals (a body that is not the JSON its content type says): the caller's mistake, not ours.
    if (err instanceof HTTPException && err.status < 500) {
      return c.json(errorDocument(new BatonError('API_BAD_REQUEST', `the request: ${err.message}`)), 400);
    }
    return c.json(errorDocument(err), httpStatusOf(err) as 400);
  });
}

/** Whether the app has a route for `method` on `path`. */
export function routed(app: OpenAPIHono, method: string, path: string): boolean {
  return methodsFor(app, path).includes(method === 'HEAD' ? 'GET' : method);
}

/** The methods the app serves on `path` (for a 405's Allow header). */
function methodsFor(app: OpenAPIHono, path: string): string[] {
  const out = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const pattern = new RegExp(`^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{[^/]+?\\\}|:[^/]+/g, '[^/]+')}$`);
    if (pattern.test(path)) out.add(route.method);
  }
  return [...out].sort();
}
