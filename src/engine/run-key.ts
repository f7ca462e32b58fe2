/**
 * Starting a run with an idempotency key (docs/decisions/0021-idempotency-keys.md): the
 * key is checked here for every front end, the start's fingerprint taken, and what the
 * store answers when another run holds the key turned into the answer: that run, when it
 * was started by the same request (the same workflow with the same inputs), or a conflict,
 * when the key was reused for another request.
 *
 * The fingerprint is the workflow's name and the run's inputs as resolved (defaults filled
 * in, CLI strings converted by the declared types), so the same request made through the
 * CLI and the API matches. Not the workflow file's version: a start repeated after the file
 * changed is the same request, and gets the run it made.
 */
import { createHash } from 'node:crypto';
import { BatonError } from '../observability/errors.js';
import { DEFAULT_KEY_RETENTION_MS, MAX_KEY_LENGTH, type KeyHeldError, type RunKey } from '../store/idempotency.js';
import type { Store } from '../store/store.js';
import { EngineError } from './errors.js';
import { loadRun } from './resume.js';
import type { RunResult } from './runner.js';

/** What a start asks about its key (RunOptions.idempotency). */
export interface KeyRequest {
  key: string;
  /** How long the run holds the key (baton.config.yaml `idempotency.retention`); default 24 h. */
  retentionMs?: number;
}

/**
 * The key as given, when it can be one: not empty, at most MAX_KEY_LENGTH characters, no
 * control characters (it is shown in logs and terminals). `where` names it for the message:
 * the flag, the field, the trigger.
 */
export function checkIdempotencyKey(key: string, where = 'the idempotency key'): string {
  if (key.trim() === '') {
    throw new BatonError('RUN_IDEMPOTENCY_KEY_EMPTY', `${where} is empty: give the name of this one request (a deployment id, a delivery id), or no key at all`, { details: { field: where } });
  }
  const length = [...key].length;
  if (length > MAX_KEY_LENGTH) {
    throw new BatonError('RUN_IDEMPOTENCY_KEY_TOO_LONG', `${where} is ${length} characters long, more than the ${MAX_KEY_LENGTH} a key may have: use a shorter one (a hash of a long one works)`, {
      details: { field: where, length },
    });
  }
  const index = [...key].findIndex((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (index >= 0) {
    const at = index + 1;
    const control = [...key][index].charCodeAt(0);
    throw new BatonError('RUN_IDEMPOTENCY_KEY_INVALID', `${where} holds a control character (U+${control.toString(16).toUpperCase().padStart(4, '0')}) at character ${at}: keys are printable text`, {
      details: { field: where, at },
    });
  }
  return key;
}

/** The key a new run asks the store for: checked, with the start's fingerprint. */
export function runKeyOf(request: KeyRequest, workflow: string, inputs: Record<string, unknown>): RunKey {
  return { key: checkIdempotencyKey(request.key), fingerprint: fingerprintOf(workflow, inputs), retention_ms: request.retentionMs ?? DEFAULT_KEY_RETENTION_MS };
}

export function fingerprintOf(workflow: string, inputs: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ workflow, inputs })).digest('hex');
}

/**
 * What a start whose key another run holds gets: that run as it is now (RunResult.existing),
 * or RUN_IDEMPOTENCY_CONFLICT when that run was started by another request.
 */
export async function existingRun(store: Store, held: KeyHeldError, wanted: RunKey, workflow: string): Promise<RunResult> {
  const holder = held.holder;
  if (held.fingerprint !== wanted.fingerprint) {
    const what = holder.workflow === workflow ? `${workflow} with other inputs` : `workflow ${holder.workflow}, not ${workflow}`;
    throw new EngineError(
      'RUN_IDEMPOTENCY_CONFLICT',
      `idempotency key ${JSON.stringify(wanted.key)} was used for run ${holder.id} of ${what}: a key names one request, so nothing was started; use a new key for a new run (or the same workflow and inputs to get run ${holder.id})`,
      { details: { run: holder.id, key: wanted.key, workflow: holder.workflow } },
    );
  }
  return { runId: holder.id, state: await loadRun(store.runs, holder.id), existing: true };
}

/** JSON with every object's keys in order: the same value always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
