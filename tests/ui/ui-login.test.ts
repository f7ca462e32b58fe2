/**
 * Login in a real browser against a server whose store has tokens: the shell sends the
 * person to /login, a refused token shows why, a viewer's token shows its role and no
 * actions it may not take, an operator's shows them, and logging out forgets the token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, openUi } from './harness.js';

afterEach(closeAll);

/** The browser logs every 401/403 answer it got as a console error; those are expected here. */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of 40[13]/.test(e));

describe('login', () => {
  it('asks for a token, refuses a bad one with its reason, keeps a viewer token for the tab, hides Cancel, logs out', async () => {
    const ui = await openUi({ tokens: true });
    const run = await ui.startRun('slow');
    await ui.page.goto(`${ui.base}/?status=running`);
    await ui.page.waitForURL(/\/login\?next=%2F%3Fstatus%3Drunning$/);
    await ui.screenshot('login');

    await ui.page.fill('input[name=token]', 'baton_notarealtoken_secret');
    await ui.page.click('button[type=submit]');
    const banner = ui.page.locator('.error-banner');
    await banner.waitFor();
    expect(await banner.getAttribute('data-code')).toBe('AUTH_BAD_TOKEN');

    const viewer = ui.token('viewer');
    await ui.page.fill('input[name=token]', viewer);
    await ui.page.click('button[type=submit]');
    // Back where the person was going.
    await ui.page.waitForURL(/\/\?status=running$/);
    await ui.waitForText('viewer', '.top-bar .roles');
    await ui.waitForText('default', '.top-bar .namespace');
    await ui.page.locator(`tr[data-run="${run}"]`).waitFor();
    expect(await ui.page.locator(`tr[data-run="${run}"] button`, { hasText: 'Cancel' }).count()).toBe(0);
    expect(await ui.stored('baton.token')).toEqual([viewer, null]);

    // A reload keeps the tab's login.
    await ui.page.reload();
    await ui.waitForText('viewer', '.top-bar .roles');

    await ui.page.click('text=Log out');
    await ui.page.waitForURL(/\/login/);
    await ui.page.goto(`${ui.base}/`);
    await ui.page.waitForURL(/\/login/);
    expect(await ui.stored('baton.token')).toEqual([null, null]);
    expect(unexpected(ui.consoleErrors)).toEqual([]);
  });

  it("remembers an operator's token, who sees Cancel and cancels a run with it", async () => {
    const ui = await openUi({ tokens: true });
    const run = await ui.startRun('slow');
    await ui.page.goto(`${ui.base}/login`);
    const operator = ui.token('operator');
    await ui.page.fill('input[name=token]', operator);
    await ui.page.check('input[name=remember]');
    await ui.page.click('button[type=submit]');
    await ui.waitForText('operator', '.top-bar .roles');
    expect(await ui.stored('baton.token')).toEqual([null, operator]);
    const cancel = ui.page.locator(`tr[data-run="${run}"] button`, { hasText: 'Cancel' });
    await cancel.waitFor();
    await ui.screenshot('runs-operator');
    await cancel.click();
    expect(await ui.waitForRun(run, ['cancelled'])).toBe('cancelled');
    await ui.waitForText('cancelled', `tr[data-run="${run}"] .badge`);
    expect(unexpected(ui.consoleErrors)).toEqual([]);
  });
});
