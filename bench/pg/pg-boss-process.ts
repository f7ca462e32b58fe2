/**
 * One pg-boss process for the throughput figure (peer-throughput.ts): a work loop on its
 * queue that fetches up to `batch` jobs at once, runs them (they do nothing) and
 * completes them together, polling every 0.5 s, pg-boss's shortest interval. Its schema and
 * queue are made by the benchmark before any worker starts; its maintenance and scheduling
 * are off, as they do nothing for this work. Prints `ready` once it takes jobs; SIGTERM
 * stops it gracefully.
 *
 * argv: connection string, schema, queue, batch, pool size.
 */
import PgBoss from 'pg-boss';

const [connectionString, schema, queue, batch, poolSize] = process.argv.slice(2);
if (!connectionString || !schema || !queue || !batch || !poolSize) {
  process.stderr.write('usage: pg-boss-process.js <connection string> <schema> <queue> <batch> <pool size>\n');
  process.exit(2);
}

const boss = new PgBoss({ connectionString, schema, max: Number(poolSize), migrate: false, supervise: false, schedule: false });
boss.on('error', (err: Error) => process.stderr.write(`pg-boss error: ${err.message}\n`));
await boss.start();
await boss.work(queue, { batchSize: Number(batch), pollingIntervalSeconds: 0.5 }, async () => {});
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void boss.stop({ graceful: true, wait: true, timeout: 10_000 }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`pg-boss did not stop cleanly: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
