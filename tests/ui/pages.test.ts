/**
 * The Workflows, Schedules and triggers, Skills and Metrics views in a real Chromium against
 * a real `baton serve` (tests/ui/harness.ts): what each shows is checked against what the
 * API says, and the actions (start a run from the form, pause and resume a schedule) are
 * done through the page as a person would, with the roles that may and may not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, openUi, type Ui } from './harness.js';

afterEach(closeAll);

/** Ours, besides the harness's: a scheduled workflow with a required input, a webhook that refuses, a file that does not validate. */
const WORKFLOWS = {
  'nightly.yaml': [
    'name: nightly',
    'inputs:',
    '  release: { type: string, required: true, description: the release to check }',
    '  replicas: { type: number, default: 2 }',
    'triggers:',
    '  - type: schedule',
    '    config: { schedule: "0 3 * * *", inputs: { release: scheduled } }',
    'tasks:',
    '  - id: check',
    '    command: echo checking "${ inputs.release }" with "${ inputs.replicas }" replicas',
    '',
  ].join('\n'),
  'hooked.yaml': 'name: hooked\ntriggers:\n  - type: webhook\n    config: { webhook: /hooked, secret_env: BATON_UI_TEST_UNSET_SECRET }\ntasks:\n  - id: t\n    command: "true"\n',
  'invalid.yaml': 'name: invalid\ntasks:\n  - id: a\n    comand: echo typo\n',
};

/** The script that keeps `token` as /login does, run before the page's own (as text: the tests are type-checked without the DOM's types). */
function tokenScript(token: string): string {
  return `sessionStorage.setItem('baton.token', ${JSON.stringify(token)})`;
}

/** Logs the page in with `token` before any of its scripts run (as /login keeps it). */
async function loginAs(ui: Ui, token: string): Promise<void> {
  await ui.page.addInitScript(tokenScript(token));
}

describe('the Workflows views', () => {
  it('lists workflows with their last status, history strip, next firing, triggers, and a broken file at file:line:col', async () => {
    const ui = await openUi({ workflows: WORKFLOWS });
    const ok = [await ui.startRun('hello'), await ui.startRun('hello')];
    const failed = await ui.startRun('broken');
    for (const id of [...ok, failed]) await ui.waitForRun(id);
    await ui.page.goto(`${ui.base}/workflows`);
    const hello = ui.page.locator('tr[data-workflow="hello"]');
    await hello.locator('.last-status .badge', { hasText: 'succeeded' }).waitFor();
    expect(await hello.locator('.strip a.cell.status-succeeded').count()).toBe(2);
    expect(await hello.locator('.strip .cell.empty').count()).toBe(18);
    // The newest run is the rightmost cell, and links to its run.
    expect(await hello.locator('.strip a.cell').last().getAttribute('href')).toBe(`/runs/${ok[1]}`);
    const broken = ui.page.locator('tr[data-workflow="broken"]');
    await broken.locator('.last-status .badge', { hasText: 'failed' }).waitFor();
    expect(await broken.locator('.strip a.cell.status-failed').count()).toBe(1);
    const nightly = ui.page.locator('tr[data-workflow="nightly"]');
    expect(await nightly.locator('.next-run').textContent()).toMatch(/^in \d/);
    expect(await nightly.locator('.triggers').textContent()).toBe('schedule');
    expect(await nightly.locator('.last-status').textContent()).toBe('never run');
    // The file that does not load: where, with its code.
    const problem = ui.page.locator('.problems .diagnostic').first();
    expect(await problem.locator('.where').textContent()).toMatch(/\/invalid\.yaml:3:5$/);
    expect(await problem.locator('.code').textContent()).toBe('SPEC_MISSING_FIELD');
    await ui.screenshot('workflows');
    expect(ui.consoleErrors).toEqual([]);
  });

  it("a workflow's form refuses a missing required input, then starts the run and opens it", async () => {
    const ui = await openUi({ workflows: WORKFLOWS });
    await ui.page.goto(`${ui.base}/workflows/nightly`);
    await ui.page.locator('#input-release').waitFor();
    expect(await ui.page.locator('#input-replicas').inputValue()).toBe('2');
    expect(await ui.page.locator('pre.source').textContent()).toContain('command: echo checking');
    await ui.page.locator('#input-replicas').fill('two');
    await ui.page.getByRole('button', { name: 'Start run' }).click();
    await ui.waitForText('input "release" is required', '.field-error');
    await ui.waitForText('input "replicas" must be a number, got "two"', '.field-error');
    expect(new URL(ui.page.url()).pathname).toBe('/workflows/nightly');
    expect((await ui.api<{ runs: unknown[] }>('/api/runs?workflow=nightly')).runs).toEqual([]);
    await ui.screenshot('workflow-form');

    await ui.page.locator('#input-release').fill('1.4.2');
    await ui.page.locator('#input-replicas').fill('5');
    await ui.page.getByRole('button', { name: 'Start run' }).click();
    await ui.page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    const id = new URL(ui.page.url()).pathname.split('/')[2]!;
    await ui.waitForRun(id);
    const run = await ui.api<{ workflow: { name: string }; status: string }>(`/api/runs/${id}`);
    expect([run.workflow.name, run.status]).toEqual(['nightly', 'succeeded']);
    // The inputs as typed in the form, the number sent as a number.
    expect((await ui.api<{ text: string }>(`/api/runs/${id}/logs`)).text).toContain('checking 1.4.2 with 5 replicas');
    // Back on the workflow's page, the run is in its list.
    await ui.page.goto(`${ui.base}/workflows/nightly`);
    await ui.page.locator(`tr[data-run="${id}"]`).waitFor();
    expect(ui.consoleErrors).toEqual([]);
  });
});

describe('the Schedules and triggers view', () => {
  it('shows next firings and refused webhooks; an operator pauses and resumes, a viewer sees no such buttons', async () => {
    const ui = await openUi({ workflows: WORKFLOWS, tokens: true });
    const refused = await fetch(`${ui.base}/hooks/hooked`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(503);
    const schedules = (await ui.api<{ schedules: Array<{ id: string; next: string }> }>('/api/schedules')).schedules;
    const nightly = schedules.find((s) => s.id === 'file:nightly:0')!;

    const viewer = await ui.browser.newContext();
    const viewerPage = await viewer.newPage();
    await viewerPage.addInitScript(tokenScript(ui.token('viewer')));
    await viewerPage.goto(`${ui.base}/schedules`);
    await viewerPage.locator('tr[data-schedule="file:nightly:0"] .next').waitFor();
    expect(await viewerPage.locator('tr[data-schedule="file:nightly:0"] .state').textContent()).toBe('active');
    expect(await viewerPage.getByRole('button', { name: /Pause|Resume/ }).count()).toBe(0);
    await viewer.close();

    await loginAs(ui, ui.token('operator'));
    await ui.page.goto(`${ui.base}/schedules`);
    const row = ui.page.locator('tr[data-schedule="file:nightly:0"]');
    await row.locator('.next').waitFor();
    expect(await row.locator('.next').getAttribute('title')).toBe(new Date(nightly.next).toLocaleString('en-US'));
    const refusedRow = ui.page.locator('table.firings tr[data-outcome="refused"]');
    await refusedRow.waitFor();
    expect(await refusedRow.textContent()).toContain('WEBHOOK_SECRET_UNSET');
    await ui.screenshot('schedules');

    await row.getByRole('button', { name: 'Pause' }).click();
    await row.locator('.state', { hasText: 'paused' }).waitFor();
    expect((await ui.api<{ schedules: Array<{ id: string; paused: boolean }> }>('/api/schedules')).schedules.find((s) => s.id === 'file:nightly:0')!.paused).toBe(true);
    expect(await row.locator('.next').textContent()).toBe('—');
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.locator('.state', { hasText: 'active' }).waitFor();
    expect((await ui.api<{ schedules: Array<{ id: string; paused: boolean }> }>('/api/schedules')).schedules.find((s) => s.id === 'file:nightly:0')!.paused).toBe(false);
    expect(ui.consoleErrors).toEqual([]);
  });
});

describe('the Skills view', () => {
  it('finds a bundled skill by what it does, with its description and inputs', async () => {
    const ui = await openUi();
    await ui.page.goto(`${ui.base}/skills`);
    await ui.page.locator('article.skill').first().waitFor();
    await ui.page.getByLabel('search skills').fill('check that a URL answers');
    await ui.page.waitForURL(/\/skills\?q=/);
    const skill = ui.page.locator('article[data-skill="http-health-check"]');
    await skill.waitFor();
    const first = await ui.page.locator('article.skill').first().getAttribute('data-skill');
    expect(first).toBe('http-health-check');
    expect(await skill.locator('.skill-inputs').textContent()).toContain('url');
    await ui.screenshot('skills');
    expect(ui.consoleErrors).toEqual([]);
  });
});

describe('the Metrics view', () => {
  it("draws its charts, and their legends and figures say the API's numbers", async () => {
    const ui = await openUi();
    const runs = [await ui.startRun('hello'), await ui.startRun('hello'), await ui.startRun('broken')];
    for (const id of runs) await ui.waitForRun(id);
    const opened = Date.now();
    await ui.page.goto(`${ui.base}/metrics`);
    const chart = ui.page.locator('figure[data-chart="Runs per hour"]');
    await chart.locator('canvas').waitFor();
    console.log(`metrics: charts drawn ${Date.now() - opened} ms after the page was asked for (chart code lazy-loaded)`);
    const box = (await chart.locator('canvas').boundingBox())!;
    expect(box.width).toBeGreaterThan(200);
    expect(box.height).toBeGreaterThan(100);
    expect(await ui.page.locator('figure.chart canvas').count()).toBe(5);

    const totals = (await ui.api<{ totals: { runs: number; failed: number; success_rate: number } }>('/api/metrics?since=24h')).totals;
    expect(await ui.page.locator('[data-figure="runs"] .value').textContent()).toBe(String(totals.runs));
    expect(await ui.page.locator('[data-figure="success rate"] .value').textContent()).toBe(`${totals.success_rate}%`);
    const series = await ui.api<{ buckets: Array<{ runs: number; failed: number }>; failures_by_task: Array<{ task: string; failed: number }> }>('/api/metrics/series?since=24h&bucket=1h');
    const last = series.buckets.at(-1)!;
    expect(last.runs).toBe(3);
    // The cursor on the last hour: the legend shows that bucket's runs and failures.
    const over = (await chart.locator('.u-over').boundingBox())!;
    await ui.page.mouse.move(over.x + over.width - 1, over.y + over.height / 2);
    const legend = (label: string) => chart.locator('.u-legend tr', { has: ui.page.locator('th', { hasText: new RegExp(`^${label}$`) }) }).locator('td.u-value');
    await expect.poll(() => legend('runs').textContent()).toBe(String(last.runs));
    expect(await legend('failed').textContent()).toBe(String(last.failed));
    // Failures by task, as the API counts them.
    const failure = ui.page.locator('.failure-row[data-task="broken/fail"] .count');
    expect(await failure.textContent()).toBe(String(series.failures_by_task.find((f) => f.task === 'fail')!.failed));
    await ui.screenshot('metrics');

    // The window picker asks for 7 days in 6-hour buckets; the dark theme redraws the charts.
    await ui.page.getByRole('button', { name: '7d' }).click();
    await ui.page.locator('figure[data-chart="Runs per 6 hours"] canvas').waitFor();
    expect(new URL(ui.page.url()).search).toContain('window=7d');
    // As text: the page's code runs in the browser, and the tests are type-checked without the DOM's types.
    await ui.page.evaluate("document.documentElement.dataset.theme = 'dark'");
    await ui.page.locator('figure[data-chart="Runs per 6 hours"] canvas').waitFor();
    await ui.screenshot('metrics-dark');
    expect(ui.consoleErrors).toEqual([]);
  });
});
