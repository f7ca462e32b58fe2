/**
 * The web UI's browser tests: a real `baton serve --port 0` on a temp project (a SQLite store,
 * the example workflows and a few of the tests' own), serving the real build (dist/ui, made by
 * npm run build), driven by Debian's Chromium through playwright-core (`npx playwright install`
 * cannot download browsers here; .ci/run installs the chromium package).
 *
 *   const ui = await openUi();             // server + browser + page, console errors collected
 *   const run = await ui.startRun('hello'); // through the API, as the page's user would not
 *   await ui.page.goto(ui.base + '/');
 *   await ui.waitForText(run.slice(0, 10));
 *   await ui.screenshot('runs');            // ui-screenshots/runs.png (git-ignored)
 *   await ui.close();                       // in afterEach: kills both, even after a failure
 *
 * Every Ui opened is closed by closeAll() (call it from afterEach or afterAll), so a failed
 * assertion never leaves a browser or a server behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BATON, ROOT, tempDir, TEST_HOME } from '../helpers.js';

export const CHROMIUM = process.env.BATON_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'ui-screenshots');

/** Workflows of the tests' own, besides the examples: one that takes a while, one that fails. */
export const TEST_WORKFLOWS: Record<string, string> = {
  'slow.yaml': 'name: slow\ntasks:\n  - id: nap\n    command: sleep 2 && echo rested\n  - id: after\n    depends_on: [nap]\n    command: echo after\n',
  'broken.yaml': 'name: broken\ntasks:\n  - id: fail\n    command: echo about to fail >&2; exit 3\n',
};

export interface UiOptions {
  /** Make tokens first, so the server needs one (docs/access.md); default false: a loopback server without tokens. */
  tokens?: boolean;
  /** More workflow files, by file name (a name with folders makes them: `acme/deploy.yaml`). */
  workflows?: Record<string, string>;
  /** More of baton.config.yaml, after its `store:` line. */
  config?: string;
  /** The browser window; default 1280x800. */
  viewport?: { width: number; height: number };
}

export interface Ui {
  base: string;
  /** The project folder the server runs in. */
  dir: string;
  page: Page;
  browser: Browser;
  /** The browser's console errors and uncaught page errors, as they came. */
  consoleErrors: string[];
  /** An admin token when `tokens` was asked for. */
  adminToken?: string;
  /** The server's log so far. */
  log: () => string;
  /** Makes a token with these roles (`baton token create`). */
  token: (roles: string) => string;
  /** Calls the API (as admin when the server needs tokens); throws on a non-2xx answer. */
  api: <T = Record<string, unknown>>(pathname: string, init?: { method?: string; body?: unknown }) => Promise<T>;
  /** Starts a run through the API; its id. */
  startRun: (workflow: string, inputs?: Record<string, unknown>) => Promise<string>;
  /** Waits for the run to reach one of `statuses` (default: any finished one); its status. */
  waitForRun: (runId: string, statuses?: string[], timeoutMs?: number) => Promise<string>;
  /** Waits until `text` is on the page (in `selector`, default the body). */
  waitForText: (text: string, selector?: string, timeoutMs?: number) => Promise<void>;
  /** What the page keeps under `key`: [sessionStorage's, localStorage's]. */
  stored: (key: string) => Promise<[string | null, string | null]>;
  /** Saves the page as ui-screenshots/<name>.png. */
  screenshot: (name: string) => Promise<string>;
  close: () => Promise<void>;
}

const open = new Set<Ui>();

/** Closes every Ui still open (afterEach/afterAll). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((ui) => ui.close()));
}

export async function openUi(options: UiOptions = {}): Promise<Ui> {
  const dir = project(options.workflows ?? {}, options.config ?? '');
  const token = (roles: string): string => {
    const made = spawnSync(process.execPath, [BATON, 'token', 'create', '--role', roles, '--name', `ui-test-${roles.replace(/,/g, '-')}`, '--json'], { cwd: dir, env: { ...process.env, BATON_HOME: TEST_HOME, NO_COLOR: '1' }, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`baton token create failed: ${made.stderr}`);
    return (JSON.parse(made.stdout) as { token: string }).token;
  };
  const adminToken = options.tokens ? token('admin') : undefined;
  const server = await serve(dir);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (err) {
    server.child.kill('SIGKILL');
    throw new Error(`cannot start Chromium at ${CHROMIUM} (apt-get install -y chromium): ${(err as Error).message}`);
  }
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));

  const api = async <T,>(pathname: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(server.base + pathname, {
      method: init.method ?? 'GET',
      headers: { ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${pathname}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };

  let closed = false;
  const ui: Ui = {
    base: server.base,
    dir,
    page,
    browser,
    consoleErrors,
    ...(adminToken ? { adminToken } : {}),
    log: server.log,
    token,
    api,
    startRun: async (workflow, inputs = {}) => (await api<{ run_id: string }>(`/api/workflows/${workflow}/runs`, { method: 'POST', body: { inputs } })).run_id,
    waitForRun: async (runId, statuses = ['succeeded', 'failed', 'cancelled'], timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const run = await api<{ status: string }>(`/api/runs/${runId}`);
        if (statuses.includes(run.status)) return run.status;
        if (Date.now() > until) throw new Error(`run ${runId} is ${run.status} after ${timeoutMs} ms, not ${statuses.join(' or ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    waitForText: async (text, selector = 'body', timeoutMs = 10_000) => {
      await page.locator(selector, { hasText: text }).first().waitFor({ timeout: timeoutMs });
    },
    stored: (key) => page.evaluate(`[sessionStorage.getItem(${JSON.stringify(key)}), localStorage.getItem(${JSON.stringify(key)})]`),
    screenshot: async (name) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      open.delete(ui);
      await browser!.close().catch(() => {});
      server.child.kill('SIGKILL');
      await server.exited;
    },
  };
  open.add(ui);
  return ui;
}

/** A temp project: a SQLite store, the examples' YAML workflows, the tests' own, and `extra`. */
function project(extra: Record<string, string>, config: string): string {
  const dir = tempDir('baton-ui-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), `store: .baton/baton.db\n${config}`);
  const examples = path.join(ROOT, 'examples');
  for (const name of readdirSync(examples)) if (/\.ya?ml$/.test(name)) copyFileSync(path.join(examples, name), path.join(dir, name));
  for (const [name, text] of Object.entries({ ...TEST_WORKFLOWS, ...extra })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

interface Served {
  child: ChildProcess;
  base: string;
  log: () => string;
  exited: Promise<void>;
}

/** `baton serve --port 0` in `dir`, once it says where it listens. */
function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [BATON, 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, BATON_HOME: TEST_HOME, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`baton serve did not listen:\n${log}`));
    }, 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ child, base: match[1], log: () => log, exited });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`baton serve exited:\n${log}`));
    });
  });
}
