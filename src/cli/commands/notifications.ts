/**
 * `baton notifications`: the outbox of notifications (store/outbox.ts), listed; `baton
 * notifications send` sends what is due (observability/notifications/sender.ts).
 */
import { hostname } from 'node:os';
import { projectChannels } from '../../config/project-channels.js';
import { clockTime } from '../../engine/clock-time.js';
import { NoticeSender } from '../../observability/notifications/sender.js';
import type { OutboxFilter, OutboxRecord, OutboxState } from '../../store/outbox.js';
import { EXIT } from '../exit.js';
import { parsePositiveInt } from '../args.js';
import { renderTable } from '../render/table.js';
import { visible } from '../render/visible.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface ListFlags extends StoreFlags {
  run?: string;
  channel?: string;
  state?: OutboxState;
  failed?: boolean;
  limit?: string;
  json?: boolean;
}

export async function list(flags: ListFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const filter: OutboxFilter = { limit: parsePositiveInt(flags.limit, '--limit') ?? 50 };
    if (flags.run !== undefined) filter.run_id = await store.runs.resolveRunId(flags.run);
    if (flags.channel !== undefined) filter.channel = flags.channel;
    const state = flags.failed ? 'failed' : flags.state;
    if (state !== undefined) filter.state = state;
    const items = await store.outbox.list(filter);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ notifications: items }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (items.length === 0) {
      process.stdout.write('No notifications: a workflow sends them with `notifications:` and `alerts:`, or baton.config.yaml with `notifications.defaults` and `alerts:` (docs/observability.md).\n');
      return EXIT.ok;
    }
    const rows = items.map((item) => [clockTime(item.created_at), item.channel, kindOf(item), item.run_id ?? '', item.state, String(item.attempts), lastWord(item)]);
    process.stdout.write(renderTable(['WHEN', 'CHANNEL', 'WHAT', 'RUN', 'STATE', 'TRIES', 'LAST ERROR'], rows));
    const given = new Map<string, number>();
    for (const item of items) if (item.state === 'failed') given.set(item.channel, (given.get(item.channel) ?? 0) + 1);
    for (const [channel, count] of given) process.stdout.write(`\nchannel ${visible(channel)}: ${count} notification${count === 1 ? '' : 's'} given up; check its settings in baton.config.yaml and \`baton notifications --failed --channel ${channel}\`\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function send(flags: StoreFlags & { json?: boolean }): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const sender = new NoticeSender({ store, channels: projectChannels() ?? {}, sender: `${hostname()}:${process.pid}` });
    const pass = await sender.sendDue();
    if (flags.json) process.stdout.write(`${JSON.stringify(pass)}\n`);
    else process.stdout.write(`${pass.sent} sent, ${pass.retrying} to be tried again, ${pass.failed} given up\n`);
    return pass.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await store.close();
  }
}

function kindOf(item: OutboxRecord): string {
  const notice = item.notice as { kind?: string; alert?: string; status?: string };
  if (notice.kind === 'alert') return `alert ${notice.alert ?? ''}${item.repeats > 0 ? ` (+${item.repeats})` : ''}`;
  return `run ${notice.status ?? ''}`;
}

function lastWord(item: OutboxRecord): string {
  if (item.error === undefined) return '';
  const text = `${item.error.code}: ${item.error.message}`;
  return visible(text.length > 80 ? `${text.slice(0, 79)}…` : text);
}
