/**
 * The triggers of the workflows `baton serve` serves: every firing goes through `fire`,
 * which records it (started, filtered, refused, duplicate or failed, with why) in the
 * store's record of firings, and starts a run of the workflow with what fired it as
 * `trigger`. Schedules (schedules.ts), events and run ends (event-feed.ts), file changes
 * (triggers/file-watch.ts) and webhooks (hooks.ts) each find their firings; this file is
 * where they all land, so each is recorded the same way.
 */
import path from 'node:path';
import { recordAudit } from '../access/audit.js';
import { triggerActor } from '../access/principal.js';
import { BatonError } from '../observability/errors.js';
import type { LoadedWorkflow } from '../runs/definition.js';
import type { Trigger } from '../spec/model.js';
import type { RequestOrigin, RunTrigger } from '../store/events.js';
import type { Store } from '../store/store.js';
import { derivedRunId, newRunId } from '../store/ids.js';
import type { Firing } from '../store/triggers.js';
import { DEFAULT_DEBOUNCE_MS, watchFiles, type FileWatch } from '../triggers/file-watch.js';
import { decideFiring } from '../triggers/firing.js';

export interface TriggerHost {
  readonly store: Store;
  /** The namespace whose workflows these are: firings are recorded in it, runs started in it. */
  readonly namespace: string;
  readonly workflows: ReadonlyMap<string, LoadedWorkflow>;
  /**
   * Records a run and starts driving it (or queues it, with `priority`), with the id
   * `runId` when given; throws why it cannot (SERVER_STOPPING, INPUT_TYPE, STORE_RUN_EXISTS
   * when a run has that id...). With `idempotencyKey`, the run holding the key when one does:
   * its id, not `runId`, and nothing started.
   */
  start(name: string, inputs: Record<string, unknown>, origin: RequestOrigin, trigger?: RunTrigger, priority?: number, actor?: string, runId?: string, idempotencyKey?: string): Promise<string>;
  log(line: string): void;
}

/** What came of a firing: the run it started, or the firing as recorded when it started none. */
export type Fired = { started: true; runId: string; firing: Firing } | { started: false; firing: Firing; error?: BatonError };

export interface Firable {
  workflow: string;
  trigger: Trigger;
  /** What fired it, as the run sees it (its `firing` id is added here). */
  data: RunTrigger;
  /** What fired it in a word, for the record: the webhook path, the event name, the schedule's id. */
  source: string;
  /** The delivery's identity: a second firing with it is refused as a duplicate. */
  delivery?: string;
}

export class TriggerHub {
  private fileWatches: FileWatch[] = [];

  constructor(private readonly host: TriggerHost) {}

  /**
   * Decides, records and (unless filtered or a duplicate) starts a run. Never throws for
   * what the firing's data or the run's inputs do: that is recorded as a failed firing.
   *
   * A firing's run has an id made from the firing (firingRunId), so it can be found again:
   * when a delivery comes again whose first firing was recorded and its run never was (the
   * process died in between, or stopped before starting it), the run starts now, under
   * that id, and two servers doing so at once record it once.
   */
  async fire(what: Firable): Promise<Fired> {
    const fired = await this.decide(what);
    this.onFired?.(what, fired.started ? 'started' : fired.firing.outcome);
    return fired;
  }

  /** Told of every firing once it is decided and recorded: what came of it (the `/metrics` counter of firings). */
  onFired?: (what: Firable, outcome: Firing['outcome']) => void;

  private async decide(what: Firable): Promise<Fired> {
    const decision = decideFiring(what.trigger, what.data, process.env);
    const base = { namespace: this.host.namespace, workflow: what.workflow, trigger: what.trigger.type, source: what.source, at: Date.now(), ...(what.delivery !== undefined ? { delivery: what.delivery } : {}) };
    const recorded = decision.start
      ? await this.host.store.triggers.recordFiring({ ...base, outcome: 'started' })
      : await this.host.store.triggers.recordFiring({ ...base, outcome: decision.outcome, reason: decision.reason, ...(decision.code !== undefined ? { code: decision.code } : {}) });
    if ('duplicate' in recorded && decision.start && runNeverRecorded(recorded.duplicate)) {
      this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}): this delivery came before (firing ${recorded.duplicate.id}) and its run was never recorded: starting it now`);
      return this.startRun(what, recorded.duplicate, decision.inputs, decision.idempotency_key);
    }
    if ('duplicate' in recorded) {
      // The replay is recorded too, as its own firing (without the delivery, which is the first's).
      const earlier = recorded.duplicate;
      const reason = `this delivery was received before (firing ${earlier.id}${earlier.run_id ? `, which started run ${earlier.run_id}` : ''}); a delivery fires once`;
      const { delivery: _first, ...rest } = base;
      const code = what.trigger.type === 'message' ? 'MESSAGE_DUPLICATE' : 'WEBHOOK_REPLAY';
      const again = await this.host.store.triggers.recordFiring({ ...rest, outcome: 'duplicate', reason, code });
      this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}): ${reason}`);
      const error = new BatonError(code, reason, { details: { firing: earlier.id, ...(earlier.run_id ? { run: earlier.run_id } : {}) } });
      return { started: false, firing: 'firing' in again ? again.firing : earlier, error };
    }
    const firing = recorded.firing;
    if (!decision.start) {
      this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}) ${decision.outcome}: ${decision.reason}`);
      return { started: false, firing };
    }
    return this.startRun(what, firing, decision.inputs, decision.idempotency_key);
  }

  /**
   * Starts the run of a recorded firing, under the firing's run id; a run already there with
   * that id is the one. A run holding the firing's idempotency key (an earlier firing's) is
   * the answer instead: the firing is recorded a duplicate of it.
   */
  private async startRun(what: Firable, firing: Firing, inputs: Record<string, unknown>, key?: string): Promise<Fired> {
    const actor = triggerActor(what.trigger.type, what.source, this.host.namespace);
    const planned = firingRunId(this.host.namespace, firing);
    try {
      let runId: string;
      try {
        runId = await this.host.start(what.workflow, inputs, 'trigger', { ...what.data, firing: firing.id }, what.trigger.config.priority, actor.actor, planned, key);
      } catch (err) {
        // Recorded already, by another server that took the same delivery again at the same moment.
        if (!(err instanceof BatonError && err.code === 'STORE_RUN_EXISTS')) throw err;
        runId = planned;
      }
      if (runId !== planned) return await this.keyHeld(what, firing, runId, key ?? '');
      await this.host.store.triggers.updateFiring(firing.id, { outcome: 'started', run_id: runId });
      await recordAudit(this.host.store, actor, { action: 'run.start', target: runId, outcome: 'ok', detail: { workflow: what.workflow, firing: firing.id } });
      this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}) fired: run ${runId}`);
      return { started: true, runId, firing: { ...firing, run_id: runId } };
    } catch (err) {
      const error = err instanceof BatonError ? err : new BatonError('RUN_NOT_STARTED', String(err));
      await this.host.store.triggers.updateFiring(firing.id, { outcome: 'failed', reason: error.message, code: error.code });
      await recordAudit(this.host.store, actor, { action: 'run.start', target: what.workflow, outcome: 'failed', error, detail: { firing: firing.id } });
      this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}) fired, and no run could start: ${error.message} [${error.code}]`);
      return { started: false, firing: { ...firing, outcome: 'failed', reason: error.message, code: error.code }, error };
    }
  }

  /** A firing whose idempotency key belongs to run `runId`: recorded a duplicate of it. */
  private async keyHeld(what: Firable, firing: Firing, runId: string, key: string): Promise<Fired> {
    const reason = `idempotency key ${JSON.stringify(key)} belongs to run ${runId}, started before: a key starts one run`;
    await this.host.store.triggers.updateFiring(firing.id, { outcome: 'duplicate', run_id: runId, reason });
    this.host.log(`${what.trigger.type} trigger of ${what.workflow} (${what.source}): ${reason}`);
    return { started: false, firing: { ...firing, outcome: 'duplicate', run_id: runId, reason } };
  }

  /** The trigger of type `type` matching `match` in each served workflow. */
  *triggers(type: Trigger['type']): Generator<{ workflow: LoadedWorkflow; trigger: Trigger; index: number }> {
    for (const workflow of this.host.workflows.values()) {
      for (const [index, trigger] of (workflow.workflow.triggers ?? []).entries()) if (trigger.type === type) yield { workflow, trigger, index };
    }
  }

  /** (Re)starts the file watches of the workflows served now. */
  watchFiles(): void {
    for (const w of this.fileWatches) w.stop();
    this.fileWatches = [];
    for (const { workflow, trigger } of this.triggers('file_change')) {
      const dir = path.dirname(workflow.file);
      const globs = trigger.config.files ?? [];
      const watch = watchFiles(
        dir,
        globs,
        trigger.config.debounce ?? DEFAULT_DEBOUNCE_MS,
        (changes) =>
          void this.fire({
            workflow: workflow.name,
            trigger,
            source: changes.files.length === 1 ? changes.files[0] : `${changes.files.length + changes.more} files`,
            data: { type: 'file_change', at: new Date().toISOString(), files: changes.files },
          }).catch((err: unknown) => this.host.log(`file_change trigger of ${workflow.name}: ${String(err)}`)),
        (message) => this.host.log(`file_change trigger of ${workflow.name}: ${message}`),
      );
      this.fileWatches.push(watch);
    }
  }

  stop(): void {
    for (const w of this.fileWatches) w.stop();
    this.fileWatches = [];
  }
}

/**
 * The id of the run a firing starts: the firing's time, and a hash of the namespace and
 * the firing's number (unique over the store), so whoever starts it, and however often,
 * names the same run.
 */
export function firingRunId(namespace: string, firing: Pick<Firing, 'id' | 'at'>): string {
  return derivedRunId(newRunId(firing.at).slice(0, 10), `firing:${namespace}:${firing.id}`);
}

/** A firing recorded to start a run whose run was never recorded: its process died first, or was stopping. */
function runNeverRecorded(firing: Firing): boolean {
  return firing.run_id === undefined && (firing.outcome === 'started' || (firing.outcome === 'failed' && firing.code === 'SERVER_STOPPING'));
}
