/**
 * The engine's side of the run queue. A front end that starts runs (the CLI, the server)
 * passes an Admission: the run's RunCreated then records what it asks (its priority, and
 * the workflow's `concurrency:` with the key evaluated over its inputs), the store records
 * what `decide` makes of it in the same transaction (nothing: it starts now; RunQueued;
 * RunCancelled when skipped), and a queued run waits for its turn in `wait`. Which runs may
 * start is the front ends' shared policy (runs/admission.ts), not the engine's: a child run
 * is given no Admission and starts at once, inside its parent's slot.
 */
import { ExprError, renderTemplate } from '../expr/index.js';
import type { Workflow } from '../spec/model.js';
import type { RunAdmissionAsk, StoredEvent } from '../store/events.js';
import type { QueueDecision } from '../store/queue.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';
import { EngineError } from './errors.js';
import { DEFAULT_NAMESPACE } from '../store/events.js';

export interface Admission {
  /** Higher starts first among queued runs, ties in arrival order; default 0. */
  priority?: number;
  /** What to record with the new run (`run`: its record as it is recorded; `ask`: what it asks), decided in the store's transaction. */
  decide(run: RunRecord, ask: RunAdmissionAsk): QueueDecision;
  /**
   * A run recorded queued waits here for its turn; resolves with the run's events after
   * `afterSeq` once one of them admitted it (RunAdmitted) or ended it (RunCancelled). Without
   * it, a queued run is left queued for whoever admits it (`baton serve`).
   */
  wait?(turn: QueueTurn): Promise<StoredEvent[]>;
}

/** A queued run, as the engine hands it to Admission.wait. */
export interface QueueTurn {
  store: Store;
  runId: string;
  /** The process that owns it while it waits (it keeps a heartbeat). */
  owner?: RunOwner;
  /** Its last event so far (the RunQueued). */
  afterSeq: number;
  queued: Extract<StoredEvent, { type: 'RunQueued' }>;
  /** Ctrl-C: take it out of the queue (cancelled). */
  signal?: AbortSignal;
  /** SIGTERM: stop waiting and leave it queued (RUN_INTERRUPTED). */
  interrupt?: AbortSignal;
}

/**
 * What a run asks of the queue: its priority, and its workflow's run concurrency with the
 * key evaluated over its inputs. RUN_CONCURRENCY_KEY when the key cannot be evaluated or
 * comes out empty: the run is then not recorded.
 */
export function admissionAsk(workflow: Workflow, inputs: Record<string, unknown>, priority = 0, namespace?: string): RunAdmissionAsk {
  const ask: RunAdmissionAsk = { priority };
  const limit = workflow.run_concurrency;
  if (limit === undefined) return ask;
  // Keys are per namespace: two tenants' `deploy-prod` are two keys. The default namespace's
  // keep their plain form (as recorded before namespaces).
  const key = concurrencyKey(workflow, inputs);
  ask.concurrency = { key: namespace === undefined || namespace === DEFAULT_NAMESPACE ? key : `${namespace}/${key}`, limit: limit.limit, on_conflict: limit.on_conflict };
  return ask;
}

function concurrencyKey(workflow: Workflow, inputs: Record<string, unknown>): string {
  const template = workflow.run_concurrency!.key;
  let value: unknown;
  try {
    value = renderTemplate(template, { contexts: { inputs, workflow: { name: workflow.name, version: workflow.version } } });
  } catch (err) {
    const why = err instanceof ExprError ? err.message : String(err);
    throw new EngineError('RUN_CONCURRENCY_KEY', `the concurrency key of ${workflow.name} (${JSON.stringify(template)}) cannot be evaluated: ${why}`, {
      cause: err,
      details: { workflow: workflow.name, key: template },
    });
  }
  const key = typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
  if (key.trim() === '') {
    throw new EngineError('RUN_CONCURRENCY_KEY', `the concurrency key of ${workflow.name} (${JSON.stringify(template)}) is empty for these inputs: give the inputs it reads a value`, {
      details: { workflow: workflow.name, key: template },
    });
  }
  return key;
}
