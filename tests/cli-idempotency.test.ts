/**
 * `baton run --idempotency-key` as real processes on one SQLite store (and on PostgreSQL,
 * where runs go to workers; and through a server with --server): however many starts with
 * one key, one run; each start says whether it was its own, follows the run, and exits as
 * the run ended.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir } from './helpers.js';
import { killServers, serve } from './serve-helpers.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { describePostgres, dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/test-postgres.js';

/** Long enough that the other starts find the run going and follow it. */
const DEPLOY = 'name: deploy\ninputs:\n  version: {type: string}\ntasks:\n  - id: ship\n    command: sleep 1 && echo "shipped ${ inputs.version }"\n';

interface Summary {
  run_id: string;
  status: string;
  existing?: boolean;
}

function project(config = ''): { dir: string; file: string; store: string } {
  const dir = tempDir('baton-idem-');
  const file = path.join(dir, 'deploy.yaml');
  writeFileSync(file, DEPLOY);
  if (config !== '') writeFileSync(path.join(dir, 'baton.config.yaml'), config);
  return { dir, file, store: path.join(dir, 'runs.db') };
}

afterEach(killServers);

describe('baton run --idempotency-key', () => {
  it('20 starts at once with one key: one run, which all of them follow to its end and exit with', async () => {
    const { dir, file, store } = project();
    const starts = Array.from({ length: 20 }, () => batonAsync(['run', file, '-i', 'version=1.4.2', '--idempotency-key', 'deploy-1.4.2', '--store', store, '--json'], { cwd: dir }));
    const results = await Promise.all(starts.map((s) => s.done));
    for (const result of results) expect(result.status, result.stdout + result.stderr).toBe(0);
    const summaries = results.map((r) => JSON.parse(r.stdout) as Summary);
    const ids = new Set(summaries.map((s) => s.run_id));
    expect(ids.size).toBe(1);
    expect(summaries.every((s) => s.status === 'succeeded')).toBe(true);
    expect(summaries.filter((s) => s.existing === true)).toHaveLength(19);
    const said = results.filter((r) => r.stderr.includes(`was started before with idempotency key "deploy-1.4.2"`));
    expect(said).toHaveLength(19);
    const history = baton(['runs', '--store', store, '--json'], { cwd: dir });
    expect((JSON.parse(history.stdout) as Array<{ run_id: string }>).map((r) => r.run_id)).toEqual([...ids]);
  });

  it('a later start gets the finished run and exits as it ended; the key with other inputs is refused; bad keys are refused', () => {
    const { dir, store } = project();
    const failing = path.join(dir, 'fail.yaml');
    writeFileSync(failing, 'name: fail\ninputs:\n  n: {type: number}\ntasks:\n  - id: boom\n    command: exit 3\n');
    const first = baton(['run', failing, '-i', 'n=1', '--idempotency-key', 'k', '--store', store], { cwd: dir });
    expect(first.status).toBe(1);
    const again = baton(['run', failing, '-i', 'n=1', '--idempotency-key', 'k', '--store', store], { cwd: dir });
    expect(again.status, again.stderr).toBe(1);
    const runId = /Run (\w{26}) fail: failed/.exec(first.stdout)?.[1];
    expect(runId).toBeDefined();
    expect(again.stderr).toContain(`baton: run ${runId} of fail was started before with idempotency key "k" (failed); nothing new was started`);
    expect(again.stdout).toContain(`Run ${runId} fail: failed`);
    const other = baton(['run', failing, '-i', 'n=2', '--idempotency-key', 'k', '--store', store, '--json'], { cwd: dir });
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`idempotency key "k" was used for run ${runId} of fail with other inputs`);
    expect(JSON.parse(other.stdout)).toMatchObject({ error: { code: 'RUN_IDEMPOTENCY_CONFLICT' } });
    const empty = baton(['run', failing, '--idempotency-key', '', '--store', store, '--json'], { cwd: dir });
    expect([empty.status, JSON.parse(empty.stdout).error.code]).toEqual([2, 'RUN_IDEMPOTENCY_KEY_EMPTY']);
    expect(empty.stderr).toContain('--idempotency-key is empty');
    const long = baton(['run', failing, '--idempotency-key', 'k'.repeat(256), '--store', store, '--json'], { cwd: dir });
    expect([long.status, JSON.parse(long.stdout).error.code]).toEqual([2, 'RUN_IDEMPOTENCY_KEY_TOO_LONG']);
    expect(baton(['run', failing, '--idempotency-key', 'k', '--dry-run'], { cwd: dir }).stderr).toContain('--dry-run starts none');
    expect(JSON.parse(baton(['runs', '--store', store, '--json'], { cwd: dir }).stdout)).toHaveLength(1);
    // The run shows the key it holds.
    expect(JSON.parse(baton(['status', runId!, '--store', store, '--json'], { cwd: dir }).stdout)).toMatchObject({ run_id: runId, idempotency_key: 'k' });
    expect(baton(['status', runId!, '--store', store], { cwd: dir }).stdout).toMatch(/idempotency\s+k\n/);
  });

  it('keeps a key for idempotency.retention of baton.config.yaml: after it, the key starts a new run', async () => {
    const { dir, file } = project('store: runs.db\nidempotency:\n  retention: 1s\n');
    const start = () => baton(['run', file, '-i', 'version=2', '--idempotency-key', 'nightly', '--json'], { cwd: dir, env: { BATON_STORE: '' } });
    const first = JSON.parse(start().stdout) as Summary;
    // The run takes a second, so the retention has passed by when it ends.
    const second = JSON.parse(start().stdout) as Summary;
    expect(second.existing).toBeUndefined();
    expect(second.run_id).not.toBe(first.run_id);
    expect(JSON.parse(baton(['runs', '--json'], { cwd: dir, env: { BATON_STORE: '' } }).stdout)).toHaveLength(2);
  });

  it('--server: the key goes with the request, and a second start follows the run the first made', async () => {
    const dir = tempDir('baton-idem-serve-');
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
    writeFileSync(path.join(dir, 'deploy.yaml'), DEPLOY);
    const s = await serve(dir);
    const start = () => batonAsync(['run', '--server', s.base, 'deploy', '-i', 'version=3', '--idempotency-key', 'remote-3', '--json'], { cwd: dir });
    const [a, b] = await Promise.all([start().done, start().done]);
    expect([a.status, b.status], a.stderr + b.stderr).toEqual([0, 0]);
    const [sa, sb] = [JSON.parse(a.stdout) as Summary, JSON.parse(b.stdout) as Summary];
    expect(sa.run_id).toBe(sb.run_id);
    expect(sa.status).toBe('succeeded');
    expect([a.stderr, b.stderr].filter((e) => e.includes('was started before with idempotency key "remote-3"'))).toHaveLength(1);
    const bad = baton(['run', '--server', s.base, 'deploy', '--idempotency-key', 'a\tb', '--json'], { cwd: dir });
    expect([bad.status, JSON.parse(bad.stdout).error.code]).toEqual([2, 'RUN_IDEMPOTENCY_KEY_INVALID']);
  });
});

describePostgres('baton run --idempotency-key on PostgreSQL, where workers drive runs', () => {
  let schema: string;
  let url: string;

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
  });
  afterEach(() => dropSchema(schema));

  it('5 submissions at once with one key: one run, driven by the worker, followed by all five', async () => {
    const { dir, file } = project();
    const worker = batonAsync(['worker', '--store', url, '--name', 'w1'], { cwd: dir });
    try {
      const starts = Array.from({ length: 5 }, () => batonAsync(['run', file, '-i', 'version=9', '--idempotency-key', 'pg-9', '--store', url, '--json'], { cwd: dir }));
      const results = await Promise.all(starts.map((s) => s.done));
      for (const result of results) expect(result.status, result.stdout + result.stderr + worker.output()).toBe(0);
      const summaries = results.map((r) => JSON.parse(r.stdout) as Summary);
      expect(new Set(summaries.map((s) => s.run_id)).size).toBe(1);
      expect(summaries.filter((s) => s.existing === true)).toHaveLength(4);
      const store = openPostgresStore(url);
      try {
        expect(await store.runs.listRuns()).toHaveLength(1);
      } finally {
        await store.close();
      }
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done;
    }
  });
});
