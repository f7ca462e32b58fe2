/**
 * One graphile-worker process for the throughput figure (peer-throughput.ts): a runner with
 * `concurrency` jobs at once, whose only task, `noop`, does nothing. Its schema is migrated
 * by the benchmark before any worker starts. Per-job log lines (graphile-worker logs every
 * completed job at `info`) are dropped, as baton's worker logs none: only warnings and
 * errors are printed. Prints `ready` once it takes jobs; SIGTERM stops it gracefully.
 *
 * argv: connection string, schema, concurrency, pool size.
 */
import { Logger, run } from 'graphile-worker';

const [connectionString, schema, concurrency, poolSize] = process.argv.slice(2);
if (!connectionString || !schema || !concurrency || !poolSize) {
  process.stderr.write('usage: graphile-worker-process.js <connection string> <schema> <concurrency> <pool size>\n');
  process.exit(2);
}

const quiet = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

const runner = await run({
  connectionString,
  schema,
  concurrency: Number(concurrency),
  maxPoolSize: Number(poolSize),
  noHandleSignals: true,
  logger: quiet,
  taskList: { noop: async () => {} },
});
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void runner.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`graphile-worker did not stop cleanly: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
