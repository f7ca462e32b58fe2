/**
 * The web UI from dist/ui in a real Chromium against a real baton serve: the page loads
 * under its CSP without a console error, the shell shows who the caller is, every view's
 * route opens directly, and a server error is shown to the person.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, openUi } from './harness.js';

afterEach(closeAll);

describe('the UI shell', () => {
  it('loads from dist/ui under a strict CSP, with no console errors, and shows namespace and role', async () => {
    const ui = await openUi();
    const started = Date.now();
    const res = await ui.page.goto(`${ui.base}/`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    await ui.waitForText('Runs', 'h1');
    const firstPaint = Date.now() - started;
    // A server without tokens: the local caller, admin of the default namespace.
    await ui.waitForText('default', '.top-bar .namespace');
    await ui.waitForText('admin', '.top-bar .roles');
    await ui.screenshot('runs-empty');
    const paint = (await ui.page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1")) as number;
    console.log(`first contentful paint: ${Math.round(paint)} ms; shell shown ${firstPaint} ms after goto`);
    expect(paint).toBeGreaterThan(0);
    expect(ui.consoleErrors).toEqual([]);
    expect(firstPaint).toBeLessThan(5_000);
  });

  it("opens every view's path directly (a notification's link to /runs/<id> included)", async () => {
    const ui = await openUi();
    const run = await ui.startRun('hello');
    await ui.waitForRun(run);
    // Each view is U2's or U3's to fill: here only that its route opens it (its nav link active, a heading, no "no page" banner).
    for (const [pathname, nav, heading] of [
      [`/runs/${run}`, 'Runs', run.slice(0, 10)],
      ['/workflows', 'Workflows', 'Workflows'],
      ['/workflows/hello', 'Workflows', 'hello'],
      ['/schedules', 'Schedules', 'Schedules'],
      ['/skills', 'Skills', 'Skills'],
      ['/metrics', 'Metrics', 'Metrics'],
    ] as const) {
      await ui.page.goto(ui.base + pathname);
      await ui.waitForText(heading, 'h1');
      expect(await ui.page.locator('nav[aria-label=views] a.active').textContent(), pathname).toBe(nav);
      expect(await ui.page.locator('.error-banner[data-code="UI_NOT_FOUND"]').count(), pathname).toBe(0);
    }
    await ui.page.goto(`${ui.base}/no/such/page`);
    await ui.page.locator('.error-banner[data-code="UI_NOT_FOUND"]').waitFor();
    expect(ui.consoleErrors).toEqual([]);
  });

  it('stays usable on a narrow screen: nothing wider than the window, the views reachable', async () => {
    const ui = await openUi({ viewport: { width: 390, height: 800 } });
    await ui.startRun('hello');
    await ui.page.goto(`${ui.base}/`);
    await ui.page.locator('tbody tr').first().waitFor();
    const [scrollWidth, clientWidth] = (await ui.page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as number[];
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth!);
    await ui.page.click('nav[aria-label=views] >> text=Workflows');
    await ui.page.waitForURL(/\/workflows$/);
    await ui.page.click('nav[aria-label=views] >> text=Runs');
    await ui.page.locator('tbody tr').first().waitFor();
    await ui.screenshot('runs-narrow');
  });

  it("shows the server's error in the banner: code and message", async () => {
    const ui = await openUi();
    await ui.page.goto(`${ui.base}/runs/7ZZZZZZZZZZZZZZZZZZZZZZZZZ`);
    const banner = ui.page.locator('.error-banner[data-code="STORE_RUN_NOT_FOUND"]').first();
    await banner.waitFor();
    expect(await banner.textContent()).toContain('7ZZZZZZZZZ');
    // The 404 the page fetched is the browser's console error; nothing else is.
    expect(ui.consoleErrors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});

describe('namespaces', () => {
  it('a caller who may act in any namespace picks one in the top bar, and every view then shows that namespace', async () => {
    const ui = await openUi({
      config: 'server:\n  namespaces:\n    acme: {workflows: acme}\n',
      workflows: { 'acme/acme-only.yaml': 'name: acme-only\ntasks:\n  - {id: a, command: "echo acme"}\n' },
    });
    await ui.page.goto(`${ui.base}/workflows`);
    const picker = ui.page.locator('.top-bar select[name=namespace]');
    await picker.waitFor();
    expect(await picker.locator('option').allTextContents()).toEqual(['acme', 'default']);
    expect(await ui.page.locator('text=acme-only').count()).toBe(0);
    await picker.selectOption('acme');
    await ui.waitForText('acme-only');
    expect(await ui.page.locator('text=build-pipeline').count()).toBe(0);
    // The pick holds across views (it is kept for the tab, sent as X-Baton-Namespace).
    await ui.page.goto(`${ui.base}/`);
    expect(await ui.page.locator('.top-bar select[name=namespace]').inputValue()).toBe('acme');
    expect(ui.consoleErrors).toEqual([]);
  });
});
