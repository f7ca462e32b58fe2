/**
 * Notifications on PostgreSQL with real `baton worker` processes: the run is submitted with
 * `baton run` and driven by a worker, whose end writes the notice with the end event; the
 * two workers both send the store's outbox, and the receiver (an HTTP server in this test)
 * gets it exactly once.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { batonAsync } from './helpers.js';
import { pgWorkers } from './pg-harness.js';
import { httpReceiver } from './http-receiver.js';
import { describePostgres } from '../src/store/postgres/test-postgres.js';

const receiver = httpReceiver();

describePostgres('notifications of runs driven by workers on PostgreSQL', () => {
  const pg = pgWorkers('baton-pg-notices-', 2);

  it('the worker that ends the run writes its notice with the end; of two workers sending, one sends it, once', async () => {
    writeFileSync(path.join(pg.dir, 'baton.config.yaml'), `notifications:\n  channels:\n    ops: {url: "${receiver.base}/ops"}\n  defaults: {channels: [ops], on_failure: true}\n`);
    writeFileSync(path.join(pg.dir, 'flow.yaml'), 'name: pg-nightly\ntasks:\n  - {id: check, command: "echo broken >&2; exit 4"}\n');
    pg.startWorker('w1');
    pg.startWorker('w2');
    const submitted = await batonAsync(['run', 'flow.yaml', '--store', pg.url, '--json'], { cwd: pg.dir }).done;
    expect(submitted.status).toBe(1);
    const runId = (JSON.parse(submitted.stdout) as { run_id: string }).run_id;
    await pg.waitFor(async () => (await pg.q<{ state: string }>(`SELECT state FROM "${pg.schema}".outbox WHERE run_id = $1`, [runId]))[0]?.state === 'sent', 'the notice to be sent');
    // Both workers keep looking: nothing is sent a second time.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const mine = receiver.deliveries.map((d) => ({ delivery: String(d.headers['x-baton-delivery']), body: JSON.parse(d.body) as Record<string, unknown> })).filter((r) => r.body.run_id === runId);
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toMatchObject({ kind: 'run', workflow: 'pg-nightly', status: 'failed', failed_task: 'check', title: 'pg-nightly failed' });
    expect(mine[0].delivery).toMatch(new RegExp(`^run:${runId}:\\d+:ops$`));
    const rows = await pg.q<{ attempts: number; sender: string }>(`SELECT attempts, sender FROM "${pg.schema}".outbox WHERE run_id = $1`, [runId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].attempts).toBe(1);
    expect(['w1', 'w2']).toContain(rows[0].sender);
  });
});
