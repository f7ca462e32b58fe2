/**
 * The positions of the run feed (store/run-feed.ts) as the stores write them: a number for
 * memory and SQLite, a (transaction, run, seq) triple for PostgreSQL. A position that is
 * not one of this store's is a bug of the reader: STORE_FEED_POSITION.
 */
import { StoreError } from './errors.js';
import type { FeedPosition } from './run-feed.js';

export function badPosition(position: FeedPosition, store: string): StoreError {
  return new StoreError('STORE_FEED_POSITION', `${JSON.stringify(position.slice(0, 80))} is not a position of the ${store} store's run feed: read from its end() or from a page it gave`, {
    details: { position: position.slice(0, 80) },
  });
}

/** A memory or SQLite position: the number of the last event read (0: none). */
export function numberedPosition(position: FeedPosition, store: string): number {
  if (!/^\d{1,15}$/.test(position)) throw badPosition(position, store);
  return Number(position);
}

/** A PostgreSQL position: the last event's transaction id, run and seq (`<tx>/<seq>/<run>`). */
export interface TxPosition {
  tx: string;
  seq: number;
  run: string;
}

export function txPosition(position: FeedPosition): TxPosition {
  const match = /^(\d{1,20})\/(\d{1,10})\/(.*)$/s.exec(position);
  if (match === null) throw badPosition(position, 'postgres');
  return { tx: match[1], seq: Number(match[2]), run: match[3] };
}

export function formatTxPosition(at: TxPosition): FeedPosition {
  return `${at.tx}/${at.seq}/${at.run}`;
}
