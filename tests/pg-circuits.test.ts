/**
 * Circuit breakers across `baton worker`s on PostgreSQL (docs/engine.md#circuit-breakers):
 * the attempts run in workers (work items of queue `calls`, served by two workers that do
 * not drive runs), each asking the circuit in the database just before it runs. A local HTTP
 * server in this process answers 500 and counts what reaches it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { batonAsync, tempDir } from './helpers.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import type { StoredEvent } from '../src/store/events.js';
import { describePostgres, dropSchema, freshSchema, schemaUrl } from '../src/store/postgres/test-postgres.js';

describePostgres('circuit breakers with workers on PostgreSQL', () => {
  let schema: string;
  let url: string;
  let dir: string;
  let workers: Array<{ child: ChildProcess; done: Promise<unknown>; output: () => string }>;
  let server: Server;
  let hits: number;

  beforeEach(async () => {
    schema = freshSchema();
    url = schemaUrl(schema);
    dir = tempDir('baton-pg-circuits-');
    workers = [];
    hits = 0;
    server = createServer((_req, res) => {
      hits++;
      res.statusCode = 500;
      res.end('down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const store = openPostgresStore(url);
    await store.runs.listRuns();
    await store.close();
  });

  afterEach(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.done));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await dropSchema(schema);
  });

  it('opens in the database after 3 failures in workers; the attempts after fail in the workers with CIRCUIT_OPEN, and the run records who opened it', async () => {
    const start = (name: string, queues: string) => {
      const started = batonAsync(['worker', '--store', url, '--name', name, '--lease', '5', '--concurrency', '1', '--queues', queues], { cwd: dir });
      workers.push({ child: started.child, done: started.done, output: started.output });
    };
    // The driver serves only `default`: the tasks, in `calls`, run in w1 and w2 as work items.
    start('driver', 'default');
    start('w1', 'calls');
    start('w2', 'calls');
    const port = (server.address() as AddressInfo).port;
    const calls = Array.from({ length: 8 }, (_, i) => `  - id: charge${i + 1}\n    queue: calls\n    type: http\n    method: POST\n    url: http://127.0.0.1:${port}/charge\n    circuit: payments-api\n    continue_on_error: true\n`).join('');
    writeFileSync(path.join(dir, 'flow.yaml'), `name: checkout\nconcurrency: 1\ncircuits:\n  payments-api: {failures: 3, window: 1m, open_for: 1h}\ntasks:\n${calls}`);
    const run = batonAsync(['run', 'flow.yaml', '--store', url, '--json'], { cwd: dir });
    const result = await run.done;
    expect(result.stdout, `${run.output()}\n${workers.map((w) => w.output()).join('\n')}`).toMatch(/"run_id"/);
    const runId = (JSON.parse(result.stdout) as { run_id: string }).run_id;
    const store = openPostgresStore(url);
    try {
      const events: StoredEvent[] = await store.runs.readEvents(runId);
      const failed = events.flatMap((e) => (e.type === 'TaskFailed' ? [e] : []));
      expect(hits).toBe(3);
      expect(failed.map((e) => e.error.code)).toEqual(['HTTP_STATUS', 'HTTP_STATUS', 'HTTP_STATUS', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
      expect(events.filter((e) => e.type === 'CircuitChanged')).toEqual([expect.objectContaining({ task: 'charge3', attempt: 1, circuit: 'payments-api', state: 'open', failures: 3 })]);
      expect(await store.circuits.get({ namespace: 'default', name: 'payments-api' })).toMatchObject({ state: 'open', opened_after: 3 });
    } finally {
      await store.close();
    }
  });
});
