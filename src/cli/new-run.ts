import path from 'node:path';
import { runWorkflow, type RunOptions, type RunResult } from '../engine/runner.js';
import { currentOwner, displayStatus } from '../store/ownership.js';
import { checkIdempotencyKey, type KeyRequest } from '../engine/run-key.js';
import { loadProject } from '../config/project.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import type { Store } from '../store/store.js';
import { visible } from './render/visible.js';
import { checkQueueName, parsePairs, parsePositiveInt } from './args.js';
import { BatonError } from '../observability/errors.js';
import { parseDuration } from '../spec/duration.js';
import { driveRun, type Hooks, type ViewFlags } from './drive.js';
import { sandboxHere } from './sandbox.js';
import { openCliStore, type StoreFlags } from './store.js';
import { originOf, type OriginFlags } from './origin.js';
import { auditingStart, cliPrincipal } from './audit.js';
import { driveExtras } from './code-run.js';
import { sendRunNotices } from './run-notices.js';
import { cliAdmission } from './queue.js';
import { isPostgresUrl } from '../store/open.js';
import { DEFAULT_QUEUE } from '../store/work.js';

export interface NewRunFlags extends ViewFlags, StoreFlags, OriginFlags {
  input?: string[];
  env?: string[];
  concurrency?: string;
  /** The run's time limit, over the workflow's own (`30m`; a bare number is seconds). */
  timeout?: string;
  /** `--priority N`: its place among queued runs (higher first); default 0. */
  priority?: string;
  /** Hidden `--run-id`: the new run's id, chosen by whoever started this process (`baton mcp`); default a new one. */
  runId?: string;
  /** `--local`: drive the run here even on a shared store, whose runs workers drive by default. */
  local?: boolean;
  /** `--queue NAME`: leave the run to the workers of this queue (docs/postgres.md). */
  queue?: string;
  /** `--idempotency-key K`: a start with the key of a run started within the retention follows that run (runs/existing-run.ts). */
  idempotencyKey?: string;
}

/** How `baton run` places a run it starts itself (`baton run -`). */
export interface Placement {
  /** The folder the run works in, instead of its file's. */
  baseDir?: string;
  /** The time limit when neither the workflow nor `--timeout` sets one (ms). */
  defaultTimeout?: number;
}

/**
 * `baton run` once the file is loaded, for a workflow file and for code alike: a new run
 * in the store, driven with the progress view, signals and the summary.
 */
export async function driveNewRun(
  file: string,
  flags: NewRunFlags,
  what: Pick<RunOptions, 'workflow' | 'code'> & { source: { file: string; sha256: string } },
  placement: Placement = {},
): Promise<number> {
  const timeout = flags.timeout === undefined ? undefined : durationFlag(flags.timeout, '--timeout');
  const limit = timeout ?? what.workflow.timeout ?? placement.defaultTimeout;
  const workflow = limit === what.workflow.timeout ? what.workflow : { ...what.workflow, timeout: limit };
  // A bad --input or --concurrency throws: reportFatal says so, with its code (and in --json).
  const inputs = parsePairs(flags.input, '--input');
  const env = parsePairs(flags.env, '--env');
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  const runId = flags.runId === undefined ? {} : { runId: checkRunId(flags.runId) };
  const key = idempotencyOf(flags);
  // Recorded with the run, so resume and retry go on in the same sandbox (cli/sandbox.ts).
  const sandbox = sandboxHere();
  const store = await openCliStore(flags, { create: true });
  const durable = store.location !== 'memory';
  try {
    // Its turn in the run queue: the key's and the store's limits, as baton serve honours them.
    const admission = cliAdmission(store, flags.priority);
    const who = cliPrincipal(flags);
    const queue = workersQueue(flags, store.location, workflow.queue);
    if (queue !== undefined) {
      const { submitAndFollow } = await import('../runs/submit.js');
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const { exitCode } = await driveRun(flags, { file, durable }, (hooks) =>
        orExisting(store, key, hooks, submitAndFollow({
          store,
          ...what,
          workflow,
          baseDir: placement.baseDir ?? path.dirname(what.source.file),
          inputs,
          env,
          sandbox,
          ...auditingStart(store, who, hooks),
          ...runId,
          ...originOf(flags),
          actor: who.actor,
          queue,
          onNoWorker: (id) => say(`baton: no worker has taken run ${id} yet: start one with \`baton worker --store ${store.location}${queue === 'default' ? '' : ` --queues ${queue}`}\` (or run it here with --local)`),
          ...(key ? { idempotency: key } : {}),
        })),
      );
      return exitCode;
    }
    const { exitCode, state } = await driveRun(flags, { file, durable }, (hooks) =>
      orExisting(store, key, hooks, runWorkflow({
        store,
        owner: currentOwner(),
        ...driveExtras(),
        ...what,
        workflow,
        baseDir: placement.baseDir ?? path.dirname(what.source.file),
        inputs,
        env,
        concurrency,
        sandbox,
        admission,
        ...auditingStart(store, who, hooks),
        ...runId,
        ...originOf(flags),
        actor: who.actor,
        ...(key ? { idempotency: key } : {}),
      })),
    );
    await sendRunNotices(store, state?.runId);
    return exitCode;
  } finally {
    await store.close();
  }
}

/**
 * The queue whose workers drive the new run, or undefined to drive it here: a run on a
 * PostgreSQL store goes to the workers (of `--queue`, else the workflow's `queue:`, else
 * `default`) unless `--local`; on another store only `--queue` sends it to them (several
 * workers on one SQLite file): a workflow's `queue:` names the queue, it does not by
 * itself take the run away from this process.
 */
function workersQueue(flags: NewRunFlags, location: string, workflowQueue: string | undefined): string | undefined {
  if (flags.local && flags.queue !== undefined) {
    throw new BatonError('CLI_USAGE', '--local drives the run here, --queue leaves it to workers: give one of them', { details: { flag: '--queue' } });
  }
  if (flags.local) return undefined;
  if (flags.queue !== undefined) {
    checkQueueName(flags.queue, '--queue');
    if (location === 'memory') throw new BatonError('CLI_USAGE', '--queue leaves the run to workers, which cannot see a memory store: use a shared store (postgres://..., or a SQLite file)', { details: { flag: '--queue' } });
    return flags.queue;
  }
  return isPostgresUrl(location) ? (workflowQueue ?? DEFAULT_QUEUE) : undefined;
}

/** `--idempotency-key`, checked here so the message names the flag, with the project's retention. */
function idempotencyOf(flags: NewRunFlags): KeyRequest | undefined {
  if (flags.idempotencyKey === undefined) return undefined;
  const retention = loadProject().config.idempotency?.retention;
  return { key: checkIdempotencyKey(flags.idempotencyKey, '--idempotency-key'), ...(retention === undefined ? {} : { retentionMs: retention }) };
}

/**
 * The run a start made, or the one its key found (RunResult.existing): said on stderr, and
 * followed as this start would have followed its own (runs/existing-run.ts).
 */
async function orExisting(store: Store, key: KeyRequest | undefined, hooks: Hooks, started: Promise<RunResult>): Promise<RunResult> {
  const result = await started;
  if (!result.existing || key === undefined) return result;
  const record = await store.runs.getRun(result.runId);
  const status = record ? displayStatus(record) : result.state.status;
  const ended = FINISHED_RUN_STATUSES.has(result.state.status);
  const { followExisting, foundLine } = await import('../runs/existing-run.js');
  process.stderr.write(visible(foundLine(result.runId, result.state.plan.workflow.name, key.key, status, !ended)) + '\n');
  return followExisting(result, { store, key: key.key, onEvent: hooks.onEvent, signal: hooks.signal, interrupt: hooks.interrupt });
}

/** A run id given with `--run-id`: a ULID (26 characters of Crockford base32), as baton makes them. */
function checkRunId(id: string): string {
  if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) return id;
  throw new BatonError('CLI_BAD_RUN_ID', `--run-id ${JSON.stringify(id)} is not a run id: 26 characters of Crockford base32, as baton makes them`, { details: { flag: '--run-id' } });
}

/** A duration flag in ms (`30m`, `2h`; a bare number is seconds). USAGE_BAD_DURATION otherwise. */
function durationFlag(value: string, flag: string): number {
  try {
    const ms = parseDuration(value, 's');
    if (ms > 0) return ms;
  } catch {
    // Said below.
  }
  throw new BatonError('USAGE_BAD_DURATION', `${flag} ${JSON.stringify(value)} is not a duration: write 90s, 30m, 2h (a bare number is seconds)`, { details: { flag } });
}
