/**
 * Retry policies end to end (docs/engine.md#retries): `retry_on`, `no_retry_on` and
 * `max_duration`, through real `baton run` processes over a SQLite store, with commands that
 * count their own attempts in a file and a local HTTP server that answers 404 twice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir } from './helpers.js';

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  error?: { code: string; message: string; not_retried?: string };
}

function project(yaml: string) {
  const dir = tempDir('baton-retry-');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(file, yaml);
  const store = ['--store', path.join(dir, 'baton.db')];
  const task = (runId: string, id: string): TaskView => {
    const status = baton(['status', runId, '--json', ...store], { cwd: dir });
    return (JSON.parse(status.stdout) as { tasks: TaskView[] }).tasks.find((t) => t.id === id)!;
  };
  return { dir, file, store, task };
}

/** A command that fails with `code` on its first `failures` tries, then succeeds. */
const flaky = (code: number, failures: number) => `n=$(cat tries 2>/dev/null | wc -l); echo x >> tries; [ "$n" -ge ${failures} ] || exit ${code}`;

describe('retry policies', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('retry_on exit codes: the listed one is retried until it succeeds', () => {
    const p = project(`name: listed\ntasks:\n  - id: t\n    command: '${flaky(75, 2)}'\n    retry: {attempts: 5, delay: 10ms, retry_on: {exit_codes: [75]}}\n`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status, run.stderr).toBe(0);
    expect(p.task(JSON.parse(run.stdout).run_id, 't')).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('retry_on: a failure it does not list is not retried, and the status says why', () => {
    const p = project(`name: unlisted\ntasks:\n  - id: t\n    command: '${flaky(1, 2)}'\n    retry: {attempts: 5, delay: 10ms, retry_on: {exit_codes: [75]}}\n`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    const t = p.task(JSON.parse(run.stdout).run_id, 't');
    expect(t).toMatchObject({ status: 'failed', attempts: 1 });
    expect(t.error!.not_retried).toBe('exit code 1 is not listed in retry_on');
  });

  it('no_retry_on: the listed failure ends the task at once', () => {
    const p = project(`name: final\ntasks:\n  - id: t\n    command: '${flaky(2, 2)}'\n    retry: {attempts: 5, delay: 10ms, no_retry_on: {exit_codes: 2}}\n`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    const t = p.task(JSON.parse(run.stdout).run_id, 't');
    expect(t).toMatchObject({ status: 'failed', attempts: 1 });
    expect(t.error!.not_retried).toBe('exit code 2 is listed in no_retry_on');
  });

  it('retry_on http_statuses: a 404 the task type calls final is retried when listed', async () => {
    let hits = 0;
    server = createServer((_req, res) => {
      hits++;
      res.statusCode = hits <= 2 ? 404 : 200;
      res.end(hits <= 2 ? 'not yet' : 'ok');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const p = project(`name: eventually\ntasks:\n  - id: get\n    type: http\n    url: http://127.0.0.1:${port}/thing\n    retry: {attempts: 4, delay: 10ms, retry_on: {http_statuses: [404]}}\n`);
    const run = batonAsync(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    const result = await run.done;
    expect(result.status, run.output()).toBe(0);
    expect(hits).toBe(3);
  });

  it('max_duration: no retry starts past the budget, whatever attempts allows', () => {
    const p = project(`name: budget\ntasks:\n  - id: t\n    command: 'echo x >> tries; exit 1'\n    retry: {attempts: 20, delay: 200ms, backoff: fixed, jitter: 0, max_duration: 300ms}\n`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    const t = p.task(JSON.parse(run.stdout).run_id, 't');
    expect(t.attempts).toBeLessThanOrEqual(2);
    expect(t.error!.not_retried).toMatch(/^the retry budget is spent \(max_duration 300ms; the next attempt would start .* after the first\)$/);
  });

  it('a retry_on with a field it does not know is a validation error at its line', () => {
    const p = project(`name: typo\ntasks:\n  - id: t\n    command: 'true'\n    retry:\n      attempts: 3\n      retry_on: {exit_code: [75]}\n`);
    const result = baton(['validate', p.file], { cwd: p.dir });
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/flow\.yaml:7:\d+: error SPEC_UNKNOWN_FIELD: unknown field 'exit_code' \(did you mean 'exit_codes'\?\)/);
  });
});
