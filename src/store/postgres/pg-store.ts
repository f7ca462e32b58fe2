/**
 * The shared store: everything baton records, in a PostgreSQL database that any number of
 * processes on any number of machines use at once (docs/postgres.md). The same interfaces
 * and the same contract tests as the SQLite and memory stores; task output is kept in the
 * database too, since a run's tasks may run on several machines.
 *
 * Opening is synchronous, like the other stores; the connection and the migration happen on
 * first use, and every query waits for them.
 */
import type { Store } from '../store.js';
import { PgDatabase } from './driver.js';
import { migratePg } from './migrate.js';
import { pgError } from './pg-errors.js';
import { PgNotifier } from './pg-notifier.js';
import { PgRunStore } from './pg-run-store.js';
import { PgPoolStore } from './pg-pool-store.js';
import { PgCircuitStore } from './pg-circuit-store.js';
import { PgTriggerStore } from './pg-trigger-store.js';
import { PgAccessStore } from './pg-access-store.js';
import { PgLogStore } from './pg-log-store.js';
import { PgWorkQueue } from './pg-work.js';
import { PgRunFeed } from './pg-run-feed.js';
import { PgOutbox } from './pg-outbox.js';

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database, optionally `?schema=name` (default `public`). */
  url: string;
  /** Connections in the pool; default 10. */
  connections?: number;
  /** Name in pg_stat_activity; default `baton`. */
  applicationName?: string;
}

export function openPostgresStore(url: string, options: Omit<PgStoreOptions, 'url'> = {}): Store {
  const db = new PgDatabase({ url, max: options.connections, applicationName: options.applicationName });
  db.prepare(async (prepared) => {
    try {
      await migratePg(prepared);
    } catch (err) {
      throw pgError(err, prepared.location);
    }
  });
  const notifier = new PgNotifier(db);
  const runs = new PgRunStore(db, notifier);
  const logs = new PgLogStore(db, notifier);
  return {
    location: db.location,
    runs,
    logs,
    pools: new PgPoolStore(db),
    triggers: new PgTriggerStore(db),
    timers: runs.timers,
    access: new PgAccessStore(db),
    work: new PgWorkQueue(db, notifier),
    circuits: new PgCircuitStore(db),
    outbox: new PgOutbox(db),
    feed: new PgRunFeed(db),
    async close() {
      // Each part is closed whatever the others do: output that could not be kept is
      // reported (by logs.close), after the connections are gone.
      const closed = await Promise.allSettled([logs.close(), runs.close(), notifier.close()]);
      await db.close();
      const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
