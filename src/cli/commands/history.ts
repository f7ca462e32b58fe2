import type { DisplayStatus } from '../../store/ownership.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { runViews } from '../../runs/views.js';
import { renderHistory } from '../render/status.js';
import { parseSince } from '../render/time.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';

interface HistoryFlags extends StoreFlags, ServerFlags {
  workflow?: string;
  status?: DisplayStatus;
  since?: string;
  trigger?: string;
  limit?: string;
  json?: boolean;
}

export default async function history(flags: HistoryFlags): Promise<number> {
  const remote = await remoteFor(flags);
  if (remote) return (await import('../remote/read.js')).remoteHistory(remote, flags);
  const now = Date.now();
  const limit = parsePositiveInt(flags.limit, '--limit') ?? 20;
  const since = flags.since === undefined ? undefined : parseSince(flags.since, now);
  const store = await openCliStore(flags);
  try {
    const runs = await runViews(store, { workflow: flags.workflow, status: flags.status, since, limit, ...(flags.trigger === undefined ? {} : { trigger: flags.trigger }) }, now);
    if (flags.json) {
      process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
      return EXIT.ok;
    }
    const colors = paint(useColor(process.stdout));
    if (runs.length === 0) {
      const filtered = flags.workflow !== undefined || flags.status !== undefined || since !== undefined || flags.trigger !== undefined;
      process.stdout.write(filtered ? 'No runs match.\n' : `No runs yet in ${store.location}.\n`);
      return EXIT.ok;
    }
    process.stdout.write(renderHistory(runs, colors, now));
    if (runs.length === limit) process.stdout.write(colors.dim(`The ${limit} most recent; --limit N shows more.\n`));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
