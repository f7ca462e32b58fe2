import { emitEvent, type Delivered } from '../engine/steps/answer.js';
import type { RequestOrigin } from '../store/events.js';
import type { Store } from '../store/store.js';

/**
 * An event, from whichever front end sends it (`baton emit`, the API, MCP): delivered to
 * the waits open for it, and recorded for the event triggers of `baton serve` (which read
 * the store's record, so an emit from any process sharing the store fires them). An event
 * sent to one run (`onlyRun`) is recorded too, marked so that triggers leave it alone.
 */
export async function emitAndRecord(store: Store, name: string, data: unknown, onlyRun: string | undefined, origin: RequestOrigin | undefined, at = Date.now()): Promise<Delivered[]> {
  const reached = await emitEvent(store.runs, name, data, onlyRun, at, origin);
  await store.triggers.recordEmitted({ name, data, at, ...(onlyRun !== undefined ? { run_id: onlyRun } : {}) });
  return reached;
}
