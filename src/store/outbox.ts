/**
 * The notification outbox (docs/decisions/0027-notifications.md): what is to be sent to a
 * notification channel (Slack, email, a webhook, a command) because of something a run
 * recorded, kept by the store so that nothing is lost and nothing is sent twice.
 *
 * - An item is written in the same transaction as the event that caused it
 *   (AppendOptions.notices: a run's end, with the alerts it fires), so a crash can never
 *   record the event and lose its notification, or send a notification for an event that
 *   was not recorded.
 * - Its `key` is unique over the store: an item whose key is taken is not added; the one
 *   holding it counts a repeat instead. A run's end gives keys of its own (one per rule,
 *   channel and end), so reading or deciding it again never sends twice; an alert's key
 *   names a time window, so a flapping workflow makes one alert per rule per window.
 * - Senders (engine/notices: `baton run` for its own run, `baton serve` and `baton worker`
 *   for every run) claim due items with a lease and a fence, as workers claim work: one
 *   sender at a time has an item; one that stopped past its lease cannot mark it any more.
 *   An item that failed is tried again after a back-off, and given up (`failed`, with its
 *   last error) once its attempts are spent or its error says trying again cannot help.
 *
 * Memory, SQLite and PostgreSQL implement it and pass one contract (contract-outbox.ts).
 * Times are the caller's clock (ms since epoch).
 */

/** What is written to the outbox. */
export interface OutboxItem {
  /** Unique over the store: the item's identity (see above). 1-500 characters. */
  key: string;
  namespace: string;
  /** The name of the channel it goes to (baton.config.yaml `notifications.channels`). */
  channel: string;
  /** The run it is about, if one. */
  run_id?: string;
  /**
   * What is sent, made when the item was written: plain data, no secrets (the channel's
   * URL, address and keys are read by the sender from its own configuration).
   */
  notice: Record<string, unknown>;
}

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed';

/** An item as stored. */
export interface OutboxRecord extends OutboxItem {
  /** Increasing over the store. */
  id: number;
  state: OutboxState;
  /** Sends tried so far. */
  attempts: number;
  /** Items with the same key that were not added because this one holds it. */
  repeats: number;
  created_at: number;
  /** When it may be sent (again). */
  next_at: number;
  /** The number of its latest claim: every claim raises it. */
  fence: number;
  /** Who claimed it last, and until when the claim holds (set while `sending`). */
  sender?: string;
  lease_until?: number;
  sent_at?: number;
  /** Why the last try failed (kept once sent, for the record). */
  error?: { code: string; message: string };
}

/** An item a sender holds: what it marks sent or failed with. */
export interface OutboxClaim {
  id: number;
  fence: number;
}

export interface OutboxClaimOptions {
  /** Who claims (shown in listings; a host:pid). */
  sender: string;
  now: number;
  /** How long the claim holds without being marked. */
  leaseMs: number;
  limit: number;
  /** Only this run's items (`baton run` sending what its own run caused). */
  runId?: string;
}

export interface OutboxFilter {
  state?: OutboxState;
  channel?: string;
  run_id?: string;
  namespace?: string;
  /** How many, newest first; default 50. */
  limit?: number;
}

export interface Outbox {
  /**
   * Adds items outside any run's append (an item's key taken: a repeat counted on the one
   * holding it). Returns how many were added.
   */
  add(items: readonly OutboxItem[], at: number): Promise<number>;
  /**
   * Claims due items, oldest first: pending ones whose next_at has come, and ones being
   * sent whose claim ran out (their sender stopped). Each is claimed by one caller of
   * several at once; its attempts and fence are raised.
   */
  claim(options: OutboxClaimOptions): Promise<OutboxRecord[]>;
  /** Marks a claimed item sent; false (nothing changed) when the claim was lost (the fence moved on). */
  sent(claim: OutboxClaim, at: number): Promise<boolean>;
  /**
   * Records a failed send: pending again from `retryAt`, or, without it, given up
   * (`failed`). False when the claim was lost.
   */
  failed(claim: OutboxClaim, error: { code: string; message: string }, retryAt?: number): Promise<boolean>;
  /** Items newest first. */
  list(filter?: OutboxFilter): Promise<OutboxRecord[]>;
  /** Takes out items sent or given up before `before`; returns how many. */
  prune(before: number): Promise<number>;
}

/** An item's key, checked where it is made: bounded, so no store refuses it. */
export const MAX_OUTBOX_KEY = 500;

/** Due: pending and its time has come, or claimed and its claim ran out. */
export function isDue(record: Pick<OutboxRecord, 'state' | 'next_at' | 'lease_until'>, now: number): boolean {
  if (record.state === 'pending') return record.next_at <= now;
  return record.state === 'sending' && (record.lease_until ?? 0) <= now;
}
