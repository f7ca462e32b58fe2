/**
 * Recording the audit trail: one entry per state-changing action or refused attempt, with
 * who (principal.ts), what, on what and how it ended. A failure to record is said on
 * stderr and does not undo the action, which is already in the run's own event log.
 */
import { categoryOf } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';
import type { AuditOutcome } from '../store/access.js';
import type { Store } from '../store/store.js';
import type { Principal } from './principal.js';

export interface AuditRecord {
  action: string;
  target?: string;
  outcome: AuditOutcome;
  /** The error that refused or failed it. */
  error?: unknown;
  detail?: Record<string, unknown>;
}

export async function recordAudit(store: Store, who: Principal, record: AuditRecord): Promise<void> {
  const code = record.error instanceof BatonError ? record.error.code : record.error === undefined ? undefined : 'INTERNAL';
  const detail = { ...(who.token?.name ? { token_name: who.token.name } : {}), ...record.detail };
  try {
    await store.access.audit({
      at: Date.now(),
      actor: who.actor,
      roles: [...who.roles],
      namespace: who.namespace,
      origin: who.origin,
      action: record.action,
      ...(record.target === undefined ? {} : { target: record.target }),
      outcome: record.outcome,
      ...(code === undefined ? {} : { code }),
      ...(Object.keys(detail).length === 0 ? {} : { detail }),
    });
  } catch (err) {
    process.stderr.write(`baton: could not record ${record.action} in the audit trail: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** Runs `act` and records it: `ok` when it returns, `refused` (or `failed` for a bug) when it throws, which it then rethrows. */
export async function audited<T>(store: Store, who: Principal, what: { action: string; target?: string; detail?: Record<string, unknown> }, act: () => Promise<T>, targetOf?: (result: T) => string | undefined): Promise<T> {
  try {
    const result = await act();
    const target = targetOf?.(result) ?? what.target;
    await recordAudit(store, who, { ...what, ...(target === undefined ? {} : { target }), outcome: 'ok' });
    return result;
  } catch (err) {
    await recordAudit(store, who, { ...what, outcome: err instanceof BatonError && categoryOf(err) !== 'internal' ? 'refused' : 'failed', error: err });
    throw err;
  }
}
