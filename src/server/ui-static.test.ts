/**
 * The web UI's routing on a real app over a memory store: the page for any GET outside the
 * API, hashed assets cached for long, the API's own paths untouched, and 503 without a build.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { Daemon } from './daemon.js';
import { createMemoryStore } from '../store/memory/memory-store.js';

function appWith(uiDir: string) {
  const store = createMemoryStore();
  const daemon = new Daemon({ store, workflowsDir: process.cwd(), owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
  return { app: createApi(daemon, { uiDir }), store };
}

function builtUi(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-ui-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>baton</title><script type="module" src="/assets/index-abc123.js"></script>');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(tmpdir(), 'outside-ui.txt'), 'secret');
  return dir;
}

describe('the web UI served by baton serve', () => {
  it('answers every page path with index.html, uncached, under a strict CSP', async () => {
    const { app, store } = appWith(builtUi());
    for (const page of ['/', '/runs/01KAQ3T6Y1', '/workflows/deploy', '/login?next=%2F', '/no/such/page']) {
      const res = await app.request(page);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>baton</title>');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
    }
    await store.close();
  });

  it('serves hashed assets for a year, and 404s one that is not there (never the page)', async () => {
    const { app, store } = appWith(builtUi());
    const js = await app.request('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('max-age=31536000');
    expect(await js.text()).toBe('console.log(1)');
    expect((await app.request('/assets/index-old999.js')).status).toBe(404);
    expect((await app.request('/assets/..%2f..%2foutside-ui.txt')).status).toBe(404);
    await store.close();
  });

  it("leaves the API's paths alone: JSON 404s and 405s, not the page", async () => {
    const { app, store } = appWith(builtUi());
    for (const p of ['/api/nope', '/api', '/hooks/nothing', '/hooks/a/b']) {
      const res = await app.request(p);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type'), p).toMatch(/^application\/json/);
    }
    expect((await app.request('/healthz')).status).toBe(200);
    expect(((await (await app.request('/api/runs')).json()) as { runs: unknown[] }).runs).toEqual([]);
    // Not a GET: the API's answer, never the page.
    expect((await app.request('/runs/x', { method: 'POST' })).status).toBe(404);
    await store.close();
  });

  it('answers /metrics with the page to a browser (Accept: text/html) and with Prometheus text otherwise', async () => {
    const { app, store } = appWith(builtUi());
    const page = await app.request('/metrics', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>baton</title>');
    // This app has no metrics endpoint configured: Prometheus' request gets the API's 404, not the page.
    const scrape = await app.request('/metrics', { headers: { accept: 'text/plain;version=0.0.4' } });
    expect(scrape.headers.get('content-type')).toMatch(/^application\/json/);
    await store.close();
  });

  it('says the UI is not built (503 UI_NOT_BUILT, npm run build) when dist/ui has no index.html', async () => {
    const { app, store } = appWith(mkdtempSync(path.join(tmpdir(), 'baton-ui-empty-')));
    const json = await app.request('/');
    expect(json.status).toBe(503);
    const doc = (await json.json()) as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('UI_NOT_BUILT');
    expect(doc.error.message).toContain('npm run build');
    const html = await app.request('/runs/x', { headers: { accept: 'text/html' } });
    expect(html.status).toBe(503);
    expect(await html.text()).toContain('npm run build');
    await store.close();
  });
});
