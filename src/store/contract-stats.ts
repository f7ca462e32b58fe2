/**
 * RunStore.runStats (store/run-stats.ts) behaves the same on every store: the runs of a
 * window, of a namespace and of a workflow, in creation order, with their tasks' times
 * and first ready time, as the events say.
 */
import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';

const created = (at: number, namespace?: string): TimedEvent => ({ ...ev.created(at), ...(namespace ? { namespace } : {}) }) as TimedEvent;

export function statsContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  /** Three runs of deploy and one of backup in the default namespace, one of deploy in team-b, one before the window. */
  async function seed(): Promise<void> {
    const runs = store().runs;
    await runs.createRun({ id: 'OLD', workflow: 'deploy', created_at: T0 - 1000 }, [created(T0 - 1000), ev.started(T0 - 999), ev.succeeded(T0 - 900)]);
    // deploy #1: build ready at +10, started at +15 and succeeded; test failed once, retried, succeeded.
    await runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0 }, [created(T0), ev.started(T0 + 5)]);
    await runs.append('R1', [ev.ready('build', T0 + 10), ev.start('build', 1, T0 + 15)]);
    await runs.append('R1', [ev.ok('build', 1, T0 + 115), ev.ready('test', T0 + 120), ev.start('test', 1, T0 + 130)]);
    await runs.append('R1', [ev.fail('test', 1, T0 + 200), ev.retry('test', 1, T0 + 300)]);
    await runs.append('R1', [ev.ready('test', T0 + 300), ev.start('test', 2, T0 + 305), ev.ok('test', 2, T0 + 400), ev.succeeded(T0 + 410)]);
    // deploy #2 (created later, so listed after R1 whatever its id): build fails, test skipped, run failed.
    await runs.createRun({ id: 'A2', workflow: 'deploy', created_at: T0 + 1000 }, [created(T0 + 1000), ev.started(T0 + 1000)]);
    await runs.append('A2', [ev.ready('build', T0 + 1001), ev.start('build', 1, T0 + 1050), ev.fail('build', 1, T0 + 1500), ev.skip('test', 'build failed', T0 + 1500), ev.failed(T0 + 1501)]);
    // deploy #3 still running: build started, nothing ended.
    await runs.createRun({ id: 'R3', workflow: 'deploy', created_at: T0 + 2000 }, [created(T0 + 2000), ev.started(T0 + 2000), ev.ready('build', T0 + 2001), ev.start('build', 1, T0 + 2002)]);
    // backup, a code-run-like step with no TaskReady.
    await runs.createRun({ id: 'B1', workflow: 'backup', created_at: T0 + 3000 }, [created(T0 + 3000), ev.started(T0 + 3000), ev.start('dump', 1, T0 + 3010), ev.ok('dump', 1, T0 + 3020), ev.succeeded(T0 + 3030)]);
    // Another namespace's deploy.
    await runs.createRun({ id: 'N1', workflow: 'deploy', created_at: T0 + 4000 }, [created(T0 + 4000, 'team-b'), ev.started(T0 + 4000), ev.ready('build', T0 + 4001), ev.start('build', 1, T0 + 4002), ev.ok('build', 1, T0 + 4003), ev.succeeded(T0 + 4004)]);
  }

  it('reads the runs of a window in creation order, with their tasks, first ready times and attempts', async () => {
    await seed();
    const rows = await store().runs.runStats({ since: T0 });
    expect(rows.runs).toEqual([
      { id: 'R1', workflow: 'deploy', status: 'succeeded', created_at: T0, ended_at: T0 + 410, active_ms: 405 },
      { id: 'A2', workflow: 'deploy', status: 'failed', created_at: T0 + 1000, ended_at: T0 + 1501, active_ms: 501 },
      { id: 'R3', workflow: 'deploy', status: 'running', created_at: T0 + 2000, active_ms: 0, active_since: T0 + 2000 },
      { id: 'B1', workflow: 'backup', status: 'succeeded', created_at: T0 + 3000, ended_at: T0 + 3030, active_ms: 30 },
      { id: 'N1', workflow: 'deploy', status: 'succeeded', created_at: T0 + 4000, ended_at: T0 + 4004, active_ms: 4 },
    ]);
    expect(rows.tasks).toEqual([
      { run_id: 'R1', key: 'build', status: 'succeeded', attempt: 1, first_started_at: T0 + 15, ended_at: T0 + 115, ready_at: T0 + 10 },
      // Its first TaskReady, not the retry's; its first start, not the second attempt's.
      { run_id: 'R1', key: 'test', status: 'succeeded', attempt: 2, first_started_at: T0 + 130, ended_at: T0 + 400, ready_at: T0 + 120 },
      { run_id: 'A2', key: 'build', status: 'failed', attempt: 1, first_started_at: T0 + 1050, ended_at: T0 + 1500, ready_at: T0 + 1001 },
      { run_id: 'A2', key: 'test', status: 'skipped', attempt: 0, ended_at: T0 + 1500 },
      { run_id: 'R3', key: 'build', status: 'running', attempt: 1, first_started_at: T0 + 2002, ready_at: T0 + 2001 },
      { run_id: 'B1', key: 'dump', status: 'succeeded', attempt: 1, first_started_at: T0 + 3010, ended_at: T0 + 3020 },
      { run_id: 'N1', key: 'build', status: 'succeeded', attempt: 1, first_started_at: T0 + 4002, ended_at: T0 + 4003, ready_at: T0 + 4001 },
    ]);
  });

  it('keeps to a namespace and a workflow when asked, and reads run rows alone without tasks', async () => {
    await seed();
    const mine = await store().runs.runStats({ since: T0, namespace: 'default', workflow: 'deploy' });
    expect(mine.runs.map((r) => r.id)).toEqual(['R1', 'A2', 'R3']);
    expect([...new Set(mine.tasks.map((t) => t.run_id))]).toEqual(['R1', 'A2', 'R3']);
    expect((await store().runs.runStats({ since: T0, namespace: 'team-b' })).runs.map((r) => r.id)).toEqual(['N1']);
    expect((await store().runs.runStats({ since: T0 + 2500 })).runs.map((r) => r.id)).toEqual(['B1', 'N1']);
    const bare = await store().runs.runStats({ since: T0 - 5000, tasks: false });
    expect(bare.runs.map((r) => r.id)).toEqual(['OLD', 'R1', 'A2', 'R3', 'B1', 'N1']);
    expect(bare.tasks).toEqual([]);
    expect(await store().runs.runStats({ since: T0 + 10_000 })).toEqual({ runs: [], tasks: [] });
  });

  it("reads a loop's iterations and a run reopened by baton retry as the projection keeps them", async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'L1', workflow: 'fan', created_at: T0 }, [created(T0), ev.started(T0), ev.ready('envs', T0 + 1), ev.start('envs', 1, T0 + 2), ev.expand('envs', ['envs[0]', 'envs[1]'], T0 + 2)]);
    await runs.append('L1', [ev.ready('envs[0]', T0 + 3), ev.start('envs[0]', 1, T0 + 4), ev.fail('envs[0]', 1, T0 + 9), ev.cancel('envs[1]', 'run failed', T0 + 9), ev.failed(T0 + 10)]);
    await runs.append('L1', [ev.reopened(['envs', 'envs[0]', 'envs[1]'], T0 + 60_000), ev.ready('envs[0]', T0 + 60_001), ev.start('envs[0]', 2, T0 + 60_002), ev.ok('envs[0]', 2, T0 + 60_005)]);
    const { tasks } = await runs.runStats({ since: T0 });
    expect(tasks.map((t) => [t.key, t.status, t.attempt, t.first_started_at, t.ended_at, t.ready_at])).toEqual([
      ['envs', 'pending', 1, T0 + 2, undefined, T0 + 1],
      ['envs[0]', 'succeeded', 2, T0 + 4, T0 + 60_005, T0 + 3],
      ['envs[1]', 'pending', 0, undefined, undefined, undefined],
    ]);
  });
}
