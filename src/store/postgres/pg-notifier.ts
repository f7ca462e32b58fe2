/**
 * LISTEN/NOTIFY for one store: a connection of its own that listens on baton's channels
 * and calls whoever in this process subscribed. Writers NOTIFY in the statement that
 * commits (pg_notify in the append), so a notification means something committed.
 *
 * Notifications are a way to wake up early, never the only way: one sent while the
 * connection was down is lost, so every reader that waits also looks again on a slow
 * timer (FALLBACK_MS). The connection is opened on the first subscription and reopened
 * with back-off when the server goes away (a restart), and every subscriber is then told
 * to look again, since anything may have happened in between.
 */
import type * as Pg from 'pg';
import type { PgDatabase } from './driver.js';

/** The channels baton notifies on; the payload names the run (or the queue). */
export type Channel = 'baton_events' | 'baton_logs' | 'baton_work' | 'baton_done';

/** How often a waiter looks again without a notification (a lost one, a reconnect). */
export const FALLBACK_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;

type Listener = (payload: string) => void;

export class PgNotifier {
  private readonly listeners = new Map<Channel, Set<Listener>>();
  private client?: Pg.Client;
  private connecting?: Promise<void>;
  private closed = false;
  private backoff = 100;
  private retry?: NodeJS.Timeout;

  constructor(private readonly db: PgDatabase) {}

  /**
   * Calls `listener` with the payload of every notification on `channel` from now on.
   * Resolves once the server listens (or the first attempt to connect failed: waiters
   * then rely on their fallback timer); returns how to unsubscribe.
   */
  async subscribe(channel: Channel, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(channel);
    const fresh = set === undefined;
    if (set === undefined) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    const unsubscribe = () => {
      set.delete(listener);
    };
    if (this.closed) return unsubscribe;
    await this.connect();
    if (fresh && this.client) await this.client.query(`LISTEN ${channel}`).catch(() => this.lost());
    return unsubscribe;
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = this.db.newClient();
    client.on('notification', (message) => {
      const set = this.listeners.get(message.channel as Channel);
      if (set) for (const listener of set) listener(message.payload ?? '');
    });
    client.on('error', () => this.lost());
    client.on('end', () => this.lost());
    try {
      await client.connect();
      for (const channel of this.listeners.keys()) await client.query(`LISTEN ${channel}`);
    } catch {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoff = 100;
  }

  /** The connection failed: every subscriber looks again (something may have been missed), then it is reopened. */
  private lost(): void {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.wakeAll();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry || this.listeners.size === 0) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect().then(() => this.client && this.wakeAll());
    }, this.backoff);
    this.retry.unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  private wakeAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener('');
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await this.connecting?.catch(() => undefined);
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
