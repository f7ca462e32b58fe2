import type { Executor } from '../executors/types.js';
import type { SkillResolver } from '../skills/resolver.js';
import type { CodeLoader } from './child-run.js';
import type { CircuitPolicy, LeafTask, NotifyChannel, Workflow } from '../spec/model.js';
import type { CodeSnapshot, RequestOrigin, RunEvent, RunSandbox, RunTrigger, StoredEvent, TimedEvent } from '../store/events.js';
import type { OutboxItem } from '../store/outbox.js';
import { newRunId } from '../store/ids.js';
import type { RunOwner, Store } from '../store/store.js';
import { admissionAsk, type Admission } from './admission.js';
import { EngineError } from './errors.js';
import { GraphDriver } from './graph-driver.js';
import type { LocalSlots } from './dispatch.js';
import { resolveInputs } from './inputs.js';
import { existingRun, runKeyOf, type KeyRequest } from './run-key.js';
import { KeyHeldError } from '../store/idempotency.js';
import { buildPlan } from './plan.js';
import { runEnvironment, withoutSecrets } from './run-env.js';
import { RunSession, type RunDriver } from './session.js';
import { RunState } from './state.js';
import type { StepProgram } from './steps/program.js';
import { StepDriver } from './steps/driver.js';
import { DEFAULT_NAMESPACE } from '../store/events.js';
import type { RunTracing } from '../observability/tracing/run-tracing.js';

/** How a run is driven, whether it is new or resumed. */
export interface DriveOptions {
  store: Store;
  /**
   * The process driving the run, recorded with a heartbeat so others can tell when it is
   * gone (src/store/ownership.ts); it also polls for `baton cancel` from other processes.
   * Default: none (an in-memory run nobody else can see).
   */
  owner?: RunOwner;
  /**
   * The fence of `owner`'s claim on a stored run (RunRecord.fence, from claimRun): every
   * append names it, so the store refuses them once another process has taken the run over.
   * A new run created with an owner holds fence 1. Default: none.
   */
  fence?: number;
  /** How long `owner`'s claim holds without a heartbeat (RunStore.claimRun); default LEASE_MS. */
  leaseMs?: number;
  /**
   * A run that workers drive, driven by a worker: that worker's free slots. An attempt of a
   * queue it serves runs here while it has one, rather than going round the work queue
   * (engine/dispatch.ts). Default: every attempt goes to the work queue.
   */
  localSlots?: LocalSlots;
  /** Leaf tasks running at once; default the workflow's `concurrency`, else 16. */
  concurrency?: number;
  /**
   * The resource pools tasks may hold (baton.config.yaml `resources:`): pool -> capacity.
   * Default none: a task asking for a pool fails with RESOURCE_UNKNOWN.
   */
  resources?: Readonly<Record<string, number>>;
  /**
   * The circuit breakers of baton.config.yaml (`circuits:`), for a task naming one its run's
   * snapshot does not hold (a workflow loaded without them). Default none: such a task fails
   * with CIRCUIT_UNKNOWN. Circuits declared in the workflow, or named when it was loaded, are in the snapshot.
   */
  circuits?: Readonly<Record<string, CircuitPolicy>>;
  /** Cancels the run (Ctrl-C): running tasks are stopped, the run ends `cancelled`. */
  signal?: AbortSignal;
  /**
   * Stops driving the run without ending it (SIGTERM, SIGHUP): running tasks are stopped,
   * nothing more is recorded, and the run is left interrupted for `baton resume`, which
   * runs those tasks again. The drive then fails with RUN_INTERRUPTED. Default: none.
   */
  interrupt?: AbortSignal;
  /**
   * The notifications a run's end causes (observability/notifications/rules.ts), written
   * with its end event in one transaction. Default: none. Child runs do not inherit it.
   */
  notices?: (end: TimedEvent, state: RunState, store: Store) => Promise<OutboxItem[]>;
  /** Every event, as soon as it is recorded, with the run's state after it. */
  onEvent?: (event: StoredEvent, state: RunState) => void;
  /** Output of tasks with `live_output` as it arrives (for live views); default: none. */
  onOutput?: (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Send every task's output to onOutput, not only live_output tasks (`--follow`); default false. */
  followAll?: boolean;
  /** Executors by type; default: the built-in registry. */
  executors?: (type: LeafTask['type']) => Executor;
  /** Environment of the processes tasks start; default process.env. */
  processEnv?: NodeJS.ProcessEnv;
  /** Where task scratch folders go; default the OS temp folder. Removed when the run ends. */
  scratchRoot?: string;
  /**
   * Turns a code run's snapshot into the program the step driver runs (sdk/programs.ts for
   * TypeScript and scripts). Needed for code runs only; the front end passes it, since the
   * engine does not load code itself.
   */
  programs?: (code: CodeSnapshot, state: RunState) => Promise<StepProgram>;
  /** Loads a code file for a child run (a skill whose entry is TypeScript or a script); the front end passes it, like `programs`. */
  loadCode?: CodeLoader;
  /** The skills `uses:`, `ctx.skill` and `baton skill run` inside a run may name; without it, running a skill fails with SKILL_NOT_FOUND. */
  skills?: SkillResolver;
  /** The named notification channels notify tasks may send to (baton.config.yaml `notifications.channels`); default none. */
  channels?: Readonly<Record<string, NotifyChannel>>;
  /**
   * OpenTelemetry traces (observability/tracing/): each attempt is handed its traceparent,
   * and the run's spans are sent from its log when a drive ends it. Default none: no traces.
   */
  tracing?: RunTracing;
  /**
   * Who asked for this run, resume, retry or cancel (`mcp`), recorded on the event that
   * says so: RunCreated, RunResumed, RunReopened, RunCancelRequested. Default: none, a
   * person at the command line.
   */
  origin?: RequestOrigin;
  /** The namespace the run belongs to (docs/access.md); default `default`. */
  namespace?: string;
  /** Who starts it, as the audit trail names them: recorded in its RunCreated. */
  actor?: string;
  /**
   * The sandbox the process driving runs is in (cli/sandbox.ts), recorded in the RunCreated
   * of each run it creates (a new run, a child run), so resume and retry re-enter it.
   * Default: none.
   */
  sandbox?: RunSandbox;
  now?: () => number;
  random?: () => number;
}

export interface RunOptions extends DriveOptions {
  workflow: Workflow;
  /** Folder relative paths resolve against; default: the current folder. */
  baseDir?: string;
  /** The file the workflow came from and a hash of its text, recorded for resume. */
  source?: { file: string; sha256: string };
  /** A code run's code: the run is driven by the step driver, `workflow` only names it and its inputs. */
  code?: CodeSnapshot;
  /** Inputs as given (strings from the CLI are converted by the declared types); default {}. */
  inputs?: Record<string, unknown>;
  /** What fired the run, when a trigger started it: recorded, and read by tasks as `trigger`. */
  trigger?: RunTrigger;
  /** Environment overrides for this run (`--env`), on top of the workflow's; default {}. */
  env?: Record<string, string>;
  runId?: string;
  /**
   * The run queue (engine/admission.ts): the run asks for admission, waits its turn when
   * its concurrency key or the global limit is full (or is skipped). Default: none, the run
   * starts at once (a child run).
   */
  admission?: Admission;
  /**
   * Workers drive the run (docs/postgres.md): it is recorded for any `baton worker` of this
   * queue to claim (createRun only), and its tasks wait for workers in the work queue.
   */
  workers?: { queue: string };
  /**
   * The run's idempotency key (engine/run-key.ts): when a run of the namespace holds it,
   * nothing is started and the result is that run (RunResult.existing), or
   * RUN_IDEMPOTENCY_CONFLICT when that run was started with another workflow or inputs.
   * Default: none.
   */
  idempotency?: KeyRequest;
}

export interface RunResult {
  runId: string;
  state: RunState;
  /**
   * The run was started before, with the same idempotency key: nothing was started, and
   * `state` is that run as it is now (driven by whoever started it).
   */
  existing?: boolean;
}

/**
 * Sets up a new run and drives it to its end; with an admission, after its turn in the
 * queue came (a run skipped, or cancelled while queued, ends there, never started).
 */
export async function runWorkflow(options: RunOptions): Promise<RunResult> {
  const { state, session, env, created, key } = prepareRun(options);
  const driver = await driverFor(session, env, options, (start) => start());
  try {
    await session.create(created, options.admission, key);
    if (state.status === 'queued' && options.admission) await session.awaitTurn(options.admission);
  } catch (err) {
    await driver.cleanUp();
    if (key && err instanceof KeyHeldError) return existingRun(options.store, err, key, options.workflow.name);
    throw err;
  }
  if (state.status !== 'pending') {
    await driver.cleanUp();
    return { runId: state.runId, state };
  }
  await session.drive(driver);
  return { runId: state.runId, state };
}

/**
 * Records a new run and returns at once, driving nothing: the run waits, `pending` and
 * owned by nobody, until a driver starts it (continueStoredRun with `{ kind: 'start' }`).
 * The inputs are checked first; a run that cannot start is never recorded. For whatever
 * must answer with a run's id before it runs (an API request, a trigger firing).
 */
export async function createRun(options: Omit<RunOptions, 'owner'>): Promise<RunResult> {
  const { state, session, created, key } = prepareRun(options);
  try {
    await session.create(created, options.admission, key);
  } catch (err) {
    if (key && err instanceof KeyHeldError) return existingRun(options.store, err, key, options.workflow.name);
    throw err;
  }
  return { runId: state.runId, state };
}

/** A new run's state, session and RunCreated, not yet recorded. */
function prepareRun(options: RunOptions) {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? newRunId(now());
  const state = new RunState(runId, buildPlan(options.workflow));
  state.inputs = resolveInputs(options.workflow.inputs, options.inputs ?? {});
  state.env = options.env ?? {};
  state.baseDir = options.baseDir;
  state.source = options.source;
  state.code = options.code;
  state.trigger = options.trigger;
  // Checked before anything is recorded; fingerprinted on the inputs as resolved, unmasked.
  const key = options.idempotency === undefined ? undefined : runKeyOf(options.idempotency, options.workflow.name, state.inputs);
  const env = runEnvironment(state, options.processEnv ?? process.env);
  const session = new RunSession(state, options, env.masker);
  const masker = env.masker;
  const created = session.stamp({
    type: 'RunCreated',
    workflow: options.workflow,
    ...(options.code ? { kind: 'code' as const, code: options.code } : {}),
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    ...(options.trigger !== undefined ? { trigger: options.trigger } : {}),
    ...(options.namespace !== undefined && options.namespace !== DEFAULT_NAMESPACE ? { namespace: options.namespace } : {}),
    ...(options.actor !== undefined ? { actor: options.actor } : {}),
    ...(options.workers !== undefined ? { workers: { queue: options.workers.queue } } : {}),
    ...(key !== undefined ? { idempotency_key: key.key } : {}),
    inputs: masker ? masker.deep(state.inputs) : state.inputs,
    // Secrets given with --env are not recorded at all: a resume takes them from its environment.
    env: masker ? masker.deep(withoutSecrets(state.env, options.workflow.secrets)) : state.env,
    ...(state.source ? { source: state.source } : {}),
    ...(state.baseDir !== undefined ? { base_dir: state.baseDir } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.admission ? { admission: admissionAsk(options.workflow, state.inputs, options.admission.priority, options.namespace) } : {}),
  });
  state.apply(created);
  return { state, session, env, created, key };
}

/** How continueRun goes on: see engine/resume.ts. */
export interface ContinueHow {
  resumed: boolean;
  /** A run recorded by createRun that nothing has driven yet: it starts, as runWorkflow's would. */
  start?: boolean;
  reopen?: RunEvent;
  cancel?: string;
  /** With `cancel`: undo the run's succeeded tasks before it ends (`baton cancel --compensate`). */
  compensate?: boolean;
  /** For a resume: the previous owner's last sign of life, where its stretch of the run's time ends. */
  ranUntil?: number;
}

/**
 * Drives a run rebuilt from its events (engine/resume.ts): `reopened` events (a
 * RunReopened from `baton retry`) are recorded first; `cancel` cancels it at once.
 */
export async function continueRun(
  state: RunState,
  options: DriveOptions,
  how: ContinueHow,
): Promise<RunResult> {
  // `baton retry --new-code`: the program is the new code's (the reopen records it below).
  if (how.reopen?.type === 'RunReopened' && how.reopen.code) state.code = how.reopen.code;
  const env = runEnvironment(state, options.processEnv ?? process.env);
  const session = new RunSession(state, options, env.masker);
  const owner = options.owner;
  const origin = options.origin === undefined ? {} : { origin: options.origin };
  const driver = await driverFor(session, env, options, (start, resume) => {
    if (how.start) return start();
    if (how.reopen) session.emit(how.reopen);
    if (how.resumed && owner) {
      const until = how.ranUntil === undefined ? {} : { ran_until: how.ranUntil };
      session.emit({ type: 'RunResumed', owner: { host: owner.host, pid: owner.pid }, ...until, ...origin });
    }
    // A cancel asked for from elsewhere than the command line is recorded here, with who
    // asked; the driver then finds it requested (otherwise the driver records it).
    if (how.cancel !== undefined && (options.origin !== undefined || how.compensate) && state.cancelRequested === undefined) {
      session.emit({ type: 'RunCancelRequested', reason: how.cancel, ...(how.compensate ? { compensate: true as const } : {}), ...origin });
    }
    resume(how.cancel);
  });
  await session.drive(driver);
  return { runId: state.runId, state };
}

/** The driver for the run's kind: its graph, or its code. `first` says how it begins. */
async function driverFor(
  session: RunSession,
  env: ReturnType<typeof runEnvironment>,
  options: DriveOptions,
  first: (start: () => void, resume: (cancel?: string) => void) => void,
): Promise<RunDriver> {
  const state = session.state;
  if (state.code === undefined) {
    return new GraphDriver(session, state, options, env, (scheduler, inFlight) => first(() => scheduler.start(), (cancel) => scheduler.resume(cancel, inFlight)));
  }
  if (!options.programs) {
    throw new EngineError('RUN_CODE_UNSUPPORTED', `run ${state.runId} is a code run, which this front end cannot drive`, { details: { run: state.runId } });
  }
  const program = await options.programs(state.code, state);
  return new StepDriver(session, state, options, env, program, (driver) => first(() => driver.start(), (cancel) => driver.resume(cancel)));
}
