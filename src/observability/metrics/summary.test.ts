import { describe, expect, it } from 'vitest';
import type { TimedEvent } from '../../store/events.js';
import { createMemoryStore } from '../../store/memory/memory-store.js';
import { successRate, workflowSummary } from './summary.js';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

/** A run of `workflow` created `ago` ms before NOW, ended as `end` after `took` ms of active time (or still running). */
async function addRun(store: ReturnType<typeof createMemoryStore>, id: string, workflow: string, ago: number, end?: 'RunSucceeded' | 'RunFailed' | 'RunCancelled', took = 100, namespace?: string) {
  const at = NOW - ago;
  const events: TimedEvent[] = [{ type: 'RunCreated', workflow: { name: workflow, tasks: [] }, inputs: {}, env: {}, at, ...(namespace ? { namespace } : {}) } as TimedEvent, { type: 'RunStarted', at }];
  if (end === 'RunSucceeded') events.push({ type: end, at: at + took });
  if (end === 'RunFailed') events.push({ type: end, error: { code: 'RUN_TASK_FAILED', message: 'x' }, at: at + took });
  if (end === 'RunCancelled') events.push({ type: end, reason: 'by hand', at: at + took });
  await store.runs.createRun({ id, workflow, created_at: at }, events);
}

describe('a workflow summary for alert rules', () => {
  it('counts the runs of one workflow created in the window, as baton metrics does', async () => {
    const store = createMemoryStore();
    await addRun(store, 'A', 'deploy', 1 * HOUR, 'RunSucceeded', 100);
    await addRun(store, 'B', 'deploy', 2 * HOUR, 'RunSucceeded', 300);
    await addRun(store, 'C', 'deploy', 3 * HOUR, 'RunFailed', 200);
    await addRun(store, 'D', 'deploy', 4 * HOUR, 'RunCancelled', 50);
    await addRun(store, 'E', 'deploy', 5 * HOUR);
    await addRun(store, 'OLD', 'deploy', 48 * HOUR, 'RunFailed');
    await addRun(store, 'OTHER', 'backup', 1 * HOUR, 'RunFailed');
    await addRun(store, 'TEAM', 'deploy', 1 * HOUR, 'RunFailed', 10, 'team-b');
    expect(await workflowSummary(store, { workflow: 'deploy', window_ms: 24 * HOUR, namespace: 'default', now: NOW })).toEqual({
      workflow: 'deploy',
      runs: 5,
      succeeded: 2,
      failed: 1,
      cancelled: 1,
      unfinished: 1,
      success_rate: 50,
      duration_ms: { p50: 200, p95: 300, max: 300 },
    });
    expect(await successRate(store, 'deploy', 24 * HOUR, { namespace: 'default', now: NOW })).toBe(50);
    // Every namespace's when none is named: team-b's failure counts too (2 of 5 finished).
    expect(await successRate(store, 'deploy', 24 * HOUR, { now: NOW })).toBe(40);
    expect(await successRate(store, 'deploy', 90 * 60_000, { namespace: 'default', now: NOW })).toBe(100);
  });

  it('has no success rate when nothing finished, and zero counts for a workflow without runs', async () => {
    const store = createMemoryStore();
    await addRun(store, 'E', 'deploy', HOUR);
    expect(await successRate(store, 'deploy', 24 * HOUR, { now: NOW })).toBeUndefined();
    expect(await workflowSummary(store, { workflow: 'nothing', window_ms: HOUR, now: NOW })).toEqual({ workflow: 'nothing', runs: 0, succeeded: 0, failed: 0, cancelled: 0, unfinished: 0 });
  });
});
