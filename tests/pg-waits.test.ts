/**
 * Approval and wait tasks of runs that workers drive on PostgreSQL (docs/postgres.md), as
 * real processes: a worker lets a run go once it only waits for answers; an approval's
 * timeout comes due in the store and a worker claims the waiting run again
 * (RunStore.claimNextRun) to time it out; `baton approve` answers a worker's run and the
 * task after it runs on a worker.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { baton, batonAsync, tempDir } from './helpers.js';
import { loadPg } from '../src/store/postgres/driver.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { describePostgres, dropSchema, freshSchema, PG_TEST_URL, schemaUrl } from '../src/store/postgres/test-postgres.js';

describePostgres('approval and wait tasks with workers on PostgreSQL', () => {
  let schema: string;
  let url: string;
  let dir: string;
  let workers: Array<ReturnType<typeof batonAsync>>;
  let db: InstanceType<ReturnType<typeof loadPg>['Client']>;

  const q = async <R>(sql: string, params: unknown[] = []): Promise<R[]> => (await db.query(sql, params)).rows as R[];
  const events = (runId: string) =>
    q<{ data: string }>(`SELECT data FROM "${schema}".events WHERE run_id = $1 ORDER BY seq`, [runId]).then((rows) => rows.map((r) => JSON.parse(r.data) as { type: string; task?: string; at: number; step?: { timeout_at?: number }; error?: { code: string }; outputs?: Record<string, unknown> }));
  const statusOf = async (runId: string) => (await q<{ status: string }>(`SELECT status FROM "${schema}".runs WHERE id = $1`, [runId]))[0]?.status;
  const waitFor = async (check: () => Promise<boolean>, what: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => w.output()).join('\n---\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const submit = (text: string) => {
    writeFileSync(path.join(dir, 'flow.yaml'), text);
    return baton(['run', 'flow.yaml', '--store', url, '--json', '--view', 'none'], { cwd: dir });
  };

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    dir = tempDir('baton-pg-waits-');
    db = new (loadPg().Client)({ connectionString: PG_TEST_URL });
    await db.connect();
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
    workers = [batonAsync(['worker', '--store', url, '--name', 'w1', '--lease', '2'], { cwd: dir })];
  });

  afterEach(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    await db.end();
    await dropSchema(schema);
  });

  it("a worker lets the run go while it waits; when the approval's timeout comes due a worker claims it again and times it out", async () => {
    const run = submit(`name: timed\ntasks:\n  - id: go\n    type: approval\n    approvers: [nobody-here]\n    timeout: 2s\n  - id: after\n    depends_on: [go]\n    command: echo after\n`);
    expect(run.status, run.stdout + run.stderr).toBe(4);
    const runId = (JSON.parse(run.stdout) as { run_id: string; status: string }).run_id;
    expect(await statusOf(runId)).toBe('waiting');
    // Nobody holds it while it waits.
    expect((await q<{ owner_host: string | null }>(`SELECT owner_host FROM "${schema}".runs WHERE id = $1`, [runId]))[0].owner_host).toBeNull();
    await waitFor(async () => (await statusOf(runId)) === 'failed', 'the timeout to fail the run');
    const log = await events(runId);
    const due = log.find((e) => e.type === 'TaskStarted' && e.task === 'go')!.step!.timeout_at!;
    const resumed = log.filter((e) => e.type === 'RunResumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].at).toBeGreaterThanOrEqual(due);
    expect(log.filter((e) => e.type === 'TaskFailed').map((e) => [e.task, e.error!.code])).toEqual([['go', 'APPROVAL_TIMEOUT']]);
    expect(log.find((e) => e.type === 'TaskSkipped')?.task).toBe('after');
  }, 60_000);

  it('baton approve answers a run workers drive; the task after it runs', async () => {
    const run = submit(`name: gated\ntasks:\n  - id: go\n    type: approval\n    approvers: [${userInfo().username}]\n  - id: after\n    depends_on: [go]\n    command: echo "after \${{ tasks.go.outputs.approved }}"\n`);
    expect(run.status, run.stdout + run.stderr).toBe(4);
    const runId = (JSON.parse(run.stdout) as { run_id: string }).run_id;
    const approved = baton(['approve', runId, '--store', url, '--view', 'none'], { cwd: dir });
    expect(approved.status, approved.stdout + approved.stderr).toBe(0);
    await waitFor(async () => (await statusOf(runId)) === 'succeeded', 'the run to end');
    const log = await events(runId);
    expect(log.find((e) => e.type === 'TaskSucceeded' && e.task === 'after')?.outputs).toMatchObject({ stdout: 'after true' });
  }, 60_000);
});
