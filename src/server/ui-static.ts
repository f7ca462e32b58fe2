/**
 * The web UI (ui/, built into dist/ui by `npm run build`; docs/ui.md), served by `baton
 * serve` at `/` for every GET the API does not answer:
 *
 * - `/assets/*`: Vite's content-hashed files, cached for a year (a new build has new names);
 *   one that is not there is 404, never the page, so a stale name fails visibly;
 * - any other path (`/`, `/runs/<id>` from a notification's link, `/workflows`...): index.html,
 *   never cached, so a new build is picked up on the next load; the UI routes it in the browser;
 * - never the API's own places (`/api/*`, `/hooks/*`, `/mcp`, `/metrics`, `/healthz`,
 *   `/readyz`), which answer their JSON 404 as before.
 *
 * Every page carries a strict Content-Security-Policy: scripts, styles and calls from this
 * origin only, nothing inline, no framing. Without a build (dist/ui/index.html missing) the
 * answer is 503 UI_NOT_BUILT, saying to run `npm run build`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context, MiddlewareHandler } from 'hono';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';

export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths the UI never takes: the API's, whose unknown paths stay JSON 404s. */
const RESERVED = /^\/(api|hooks)(\/|$)|^\/(mcp|metrics|healthz|readyz)\/?$/;

/** Whether `method path` is the UI's to answer (a GET or HEAD of a path outside the API). */
export function isUiPath(method: string, urlPath: string): boolean {
  return (method === 'GET' || method === 'HEAD') && !RESERVED.test(urlPath);
}

/**
 * `/metrics` is both Prometheus' text (server/api-metrics.ts) and the UI's Metrics view. A
 * browser opening it asks for HTML first (`Accept: text/html,...`); Prometheus never does
 * (text/plain, OpenMetrics). So a GET that accepts HTML gets the page, before any token is
 * asked for (the page itself is public; its data comes from /api/metrics with the token).
 */
export function pageForBrowsers(dir: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' && /^text\/html\b/.test(c.req.header('accept') ?? '')) return serveUi(c, dir);
    await next();
  };
}

/** Answers a GET of the UI from `dir` (dist/ui). */
export async function serveUi(c: Context, dir: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-security-policy': UI_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const urlPath = c.req.path;
  if (urlPath.startsWith('/assets/')) {
    const file = inside(dir, urlPath);
    const body = file === undefined ? undefined : await readFile(file).catch(() => undefined);
    if (body === undefined) return new Response(`no such asset: ${urlPath} (the page may be from an older build: reload it)\n`, { status: 404, headers: { ...headers, 'content-type': TYPES['.txt'] } });
    return new Response(body, { status: 200, headers: { ...headers, 'content-type': TYPES[path.extname(file!)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' } });
  }
  const page = await readFile(path.join(dir, 'index.html')).catch(() => undefined);
  if (page === undefined) return notBuilt(c, dir, headers);
  return new Response(page, { status: 200, headers: { ...headers, 'content-type': TYPES['.html'], 'cache-control': 'no-cache' } });
}

/** The file `urlPath` names under `dir`, or undefined for one that would leave it. */
function inside(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.resolve(dir, `.${path.posix.normalize(decoded)}`);
  return file.startsWith(path.resolve(dir) + path.sep) ? file : undefined;
}

function notBuilt(c: Context, dir: string, headers: Record<string, string>): Response {
  const err = new BatonError('UI_NOT_BUILT', `the web UI is not built (no ${path.join(dir, 'index.html')}): run npm run build in baton's folder, then reload`);
  if (!(c.req.header('accept') ?? '').includes('text/html')) return Response.json(errorDocument(err), { status: 503, headers });
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baton: UI not built</title></head><body><h1>The web UI is not built</h1><p>${escapeHtml(err.message)}</p><p>The API works meanwhile: <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>`;
  return new Response(html, { status: 503, headers: { ...headers, 'content-type': TYPES['.html'], 'cache-control': 'no-store' } });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
