/**
 * `baton audit` (docs/access.md#audit): the audit trail, newest first: who did or tried
 * what, to what, from where, and how it ended. From the project's store, or through a
 * server with `--server` (admin).
 */
import { DEFAULT_NAMESPACE } from '../../access/names.js';
import type { AuditEntry } from '../../store/access.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';
import { localTime, parseSince } from '../render/time.js';
import { renderTable } from '../render/table.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface AuditFlags extends StoreFlags, ServerFlags {
  since?: string;
  actor?: string;
  namespace?: string;
  action?: string;
  limit?: string;
  json?: boolean;
}

export default async function audit(flags: AuditFlags): Promise<number> {
  const since = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
  const limit = parsePositiveInt(flags.limit, '--limit') ?? 100;
  const filter = {
    ...(since !== undefined ? { since } : {}),
    ...(flags.actor ? { actor: flags.actor } : {}),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.action ? { action: flags.action } : {}),
    limit,
  };
  const remote = await remoteFor(flags);
  let entries: AuditEntry[];
  if (remote) {
    entries = (await remote.server.get<{ entries: AuditEntry[] }>('/api/audit', filter)).entries;
  } else {
    const store = await openCliStore(flags);
    try {
      entries = await store.access.listAudit(filter);
    } finally {
      await store.close();
    }
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ entries }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (entries.length === 0) {
    process.stdout.write('no audit entries match\n');
    return EXIT.ok;
  }
  const head = ['TIME', 'ACTOR', 'ROLES', 'NAMESPACE', 'ORIGIN', 'ACTION', 'TARGET', 'OUTCOME'];
  const rows = entries.map((e) => [
    localTime(e.at),
    e.actor,
    e.roles.join(',') || '-',
    e.namespace === DEFAULT_NAMESPACE ? 'default' : e.namespace,
    e.origin,
    e.action,
    e.target ?? '-',
    e.outcome === 'ok' ? 'ok' : `${e.outcome}${e.code ? ` ${e.code}` : ''}`,
  ]);
  process.stdout.write(renderTable(head, rows, 48));
  return EXIT.ok;
}
