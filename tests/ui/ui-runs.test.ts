/**
 * The Runs view (`/`) in a real browser: runs started through the API come in live and
 * change status in place, the filters narrow the list (and stay in the URL), paging goes
 * by cursor, and the keyboard moves and opens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, openUi } from './harness.js';

afterEach(closeAll);

const rowOf = (id: string) => `tr[data-run="${id}"]`;

describe('the Runs view', () => {
  it('shows a run started through the API live, and its status changing to succeeded', async () => {
    const ui = await openUi();
    await ui.page.goto(`${ui.base}/`);
    await ui.waitForText('No runs yet');
    const run = await ui.startRun('slow');
    // No reload: the list polls.
    await ui.page.locator(rowOf(run)).waitFor({ timeout: 10_000 });
    await ui.waitForText('running', `${rowOf(run)} .badge`, 10_000);
    await ui.screenshot('runs-live');
    await ui.waitForText('succeeded', `${rowOf(run)} .badge`, 15_000);
    expect(await ui.page.locator(`${rowOf(run)} td`).nth(1).textContent()).toBe('slow');
    expect(await ui.page.locator(`${rowOf(run)} td`).nth(5).textContent()).toBe('2/2');
    expect(ui.consoleErrors).toEqual([]);
  });

  it('filters by workflow, status, trigger and time range, in the URL; an invalid filter shows the server error', async () => {
    const ui = await openUi();
    const good = await ui.startRun('hello');
    const bad = await ui.startRun('broken');
    await ui.waitForRun(good);
    await ui.waitForRun(bad);
    await ui.page.goto(`${ui.base}/`);
    await ui.page.locator(rowOf(bad)).waitFor();
    await ui.page.locator(rowOf(good)).waitFor();

    await ui.page.selectOption('select[name=status]', 'failed');
    await ui.page.waitForURL(/status=failed/);
    await ui.waitForText('failed', `${rowOf(bad)} .badge`);
    await ui.page.locator(rowOf(good)).waitFor({ state: 'detached' });
    expect(await ui.page.locator('tbody tr').count()).toBe(1);

    await ui.page.selectOption('select[name=status]', '');
    await ui.page.fill('input[name=workflow]', 'hello');
    await ui.page.press('input[name=workflow]', 'Enter');
    await ui.page.waitForURL(/workflow=hello/);
    await ui.page.locator(rowOf(bad)).waitFor({ state: 'detached' });
    await ui.page.locator(rowOf(good)).waitFor();

    await ui.page.selectOption('select[name=since]', '1h');
    await ui.page.waitForURL(/since=1h/);
    await ui.page.locator(rowOf(good)).waitFor();
    // Runs started over the API were started by hand: no schedule fired them.
    await ui.page.selectOption('select[name=trigger]', 'schedule');
    await ui.page.waitForURL(/trigger=schedule/);
    await ui.page.locator(rowOf(good)).waitFor({ state: 'detached' });
    await ui.page.selectOption('select[name=trigger]', 'manual');
    await ui.page.waitForURL(/trigger=manual/);
    await ui.page.locator(rowOf(good)).waitFor();
    await ui.screenshot('runs-filtered');

    // A filter the server refuses: its code and message in the banner.
    await ui.page.goto(`${ui.base}/?since=yesterday-ish`);
    const banner = ui.page.locator('.error-banner[data-code="API_BAD_REQUEST"]');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('yesterday-ish');
  });

  it('pages by cursor: Older shows the runs after the first page, Newest goes back', async () => {
    const ui = await openUi({ workflows: { 'quick.yaml': 'name: quick\ntasks:\n  - id: one\n    command: "true"\n' } });
    const runs: string[] = [];
    for (let i = 0; i < 27; i++) runs.push(await ui.startRun('quick'));
    for (const run of runs) await ui.waitForRun(run);
    await ui.page.goto(`${ui.base}/?workflow=quick`);
    await ui.page.locator(rowOf(runs[26]!)).waitFor();
    expect(await ui.page.locator('tbody tr').count()).toBe(25);
    await ui.page.click('text=Older →');
    await ui.page.waitForURL(/cursor=/);
    await ui.page.locator(rowOf(runs[0]!)).waitFor();
    expect(await ui.page.locator('tbody tr').count()).toBe(2);
    await ui.page.click('text=← Newest');
    await ui.page.locator(rowOf(runs[26]!)).waitFor();
  });

  it('moves with j/k and arrows, opens with Enter, focuses the filter with /', async () => {
    const ui = await openUi();
    const first = await ui.startRun('hello');
    await ui.waitForRun(first);
    const second = await ui.startRun('hello');
    await ui.waitForRun(second);
    await ui.page.goto(`${ui.base}/`);
    await ui.page.locator(rowOf(first)).waitFor();
    await ui.page.keyboard.press('j');
    await ui.page.locator(`${rowOf(second)}.selected`).waitFor();
    await ui.page.keyboard.press('ArrowDown');
    await ui.page.locator(`${rowOf(first)}.selected`).waitFor();
    await ui.page.keyboard.press('k');
    await ui.page.keyboard.press('j');
    await ui.page.keyboard.press('Enter');
    await ui.page.waitForURL(new RegExp(`/runs/${first}$`));
    await ui.waitForText(first.slice(0, 10), 'h1');
    await ui.page.goBack();
    await ui.page.locator(rowOf(first)).waitFor();
    await ui.page.keyboard.press('/');
    expect(await ui.page.locator('input[name=workflow]').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  });
});
