/**
 * What `baton run` (and resume, retry) does about the notifications its run's end caused
 * (observability/notifications/sender.ts): sends them before it exits, trying a failed send
 * again while `notifications.wait` (default SEND_BUDGET_MS) lasts. What is still unsent then stays in the store for `baton
 * serve`, `baton worker` or `baton notifications send`, and is said on stderr.
 */
import { hostname } from 'node:os';
import { loadProject } from '../config/project.js';
import type { Store } from '../store/store.js';

/** How long `baton run` waits for its notifications at most, retries included, unless `notifications.wait` says. */
const SEND_BUDGET_MS = 10_000;

export async function sendRunNotices(store: Store, runId: string | undefined): Promise<void> {
  if (runId === undefined) return;
  // One cheap read for the runs that notify nothing, which is most.
  const [first] = await store.outbox.list({ run_id: runId, state: 'pending', limit: 1 });
  if (first === undefined) return;
  const { NoticeSender } = await import('../observability/notifications/sender.js');
  const settings = loadProject().config.notifications;
  const sender = new NoticeSender({ store, channels: settings?.channels ?? {}, sender: `${hostname()}:${process.pid}` });
  const pass = await sender.sendForRun(runId, settings?.wait ?? SEND_BUDGET_MS);
  if (pass.pending > 0) {
    const [late] = await store.outbox.list({ run_id: runId, state: 'pending', limit: 1 });
    const why = late?.error ? ` (channel ${late.channel}: ${late.error.message})` : '';
    process.stderr.write(`baton: ${pass.pending} notification${pass.pending === 1 ? '' : 's'} of run ${runId} could not be sent yet${why}; \`baton serve\`, \`baton worker\` or \`baton notifications send\` will try again\n`);
  }
}
