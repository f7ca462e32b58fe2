/**
 * A task's own progress in the Run view (issue 14: progress appears in the UI too): a task
 * that writes `progress=` and `progress_message=` to $BATON_OUTPUT shows a bar along its
 * node in the graph, and percent, message and time left in its panel, while it runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, openUi } from './harness.js';

const COPY = `name: copy
tasks:
  - id: copy
    command: 'echo "progress=40" >> "$BATON_OUTPUT"; echo "progress_message=copying files" >> "$BATON_OUTPUT"; sleep 20'
`;

afterEach(closeAll);

describe('progress in the Run view', () => {
  it("a running task's progress: a bar on its node, percent and message in its panel", async () => {
    const ui = await openUi({ workflows: { 'copy.yaml': COPY } });
    const run = await ui.startRun('copy');
    await ui.page.goto(`${ui.base}/runs/${run}`);
    const bar = ui.page.locator('.run-graph g.node[data-task="copy"] rect.progress[data-progress="40"]');
    await bar.waitFor({ timeout: 15_000 });
    await ui.page.locator('.run-graph g.node[data-task="copy"] rect.box').click();
    // The message may come a report later than the figure: reports are at most one a second.
    const line = ui.page.locator('.task-progress[data-percent="40"]', { hasText: 'copying files' });
    await line.waitFor({ timeout: 15_000 });
    expect(await line.textContent()).toMatch(/^40% · copying files( · about .* left)?$/);
    await ui.screenshot('run-progress');
    await ui.api(`/api/runs/${run}/cancel`, { method: 'POST', body: {} });
    await ui.waitForRun(run);
    // An ended task shows no bar: progress is for what still runs.
    await bar.waitFor({ state: 'detached' });
    expect(ui.consoleErrors).toEqual([]);
  });
});
