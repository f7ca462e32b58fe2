import { emitEvent, type Delivered } from '../engine/steps/answer.js';
import type { RequestOrigin } from '../store/events.js';
import type { Store } from '../store/store.js';

/**
 * An event, from whichever front end sends it (`baton emit`, the API, MCP): delivered to
 * the waits open for it, and recorded for the event triggers of `baton serve` (which read
 * the store's record, so an emit from any process sharing the store fires them). An event
 * sent to one run (`onlyRun`) is recorded too, marked so that triggers leave it alone.
 * Events stay in their namespace: only its runs' waits and its event triggers see them.
 */
export async function emitAndRecord(store: Store, name: string, data: unknown, onlyRun: string | undefined, origin: RequestOrigin | undefined, namespace = 'default', at = Date.now()): Promise<Delivered[]> {
  const reached = await emitEvent(store.runs, name, data, onlyRun, at, origin, namespace);
  await store.triggers.recordEmitted({ namespace, name, data, at, ...(onlyRun !== undefined ? { run_id: onlyRun } : {}) });
  return reached;
}
