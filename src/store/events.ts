/**
 * The run model and its event log. The log is the truth: run status, task states,
 * history, resume and the UI are folds over these events (see engine/state.ts).
 *
 * Glossary:
 * - run: one execution of a workflow, id a ULID (sortable by time).
 * - task key: a task's stable name within its run (`deploy`, `envs[qa]`, `p[0]`).
 * - attempt: one try of a task, numbered from 1.
 * - event: one immutable fact about a run, numbered by `seq` within the run.
 */

/**
 * `waiting`: a run blocked on sleeps, approvals, events or paused tasks, with nothing running
 * (RunWaiting); whoever fires the timer or delivers the answer continues it. `queued`: a
 * run that may not start yet (its concurrency key or the global limit is full, RunQueued);
 * it goes back to `pending` when admitted (RunAdmitted), then starts.
 */
export type RunStatus = 'pending' | 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export type TaskStatus =
  | 'pending'
  | 'ready'
  | 'running'
  /** A sleep, approval or event wait (StepInfo), or a paused task (TaskPaused): open, with nothing to run. */
  | 'waiting'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
]);

/** What a failure says: enough for a person to see why and what to do. */
export interface TaskError {
  /** Stable code, e.g. EXEC_EXIT_CODE, EXEC_TIMEOUT, HTTP_STATUS, EXPR_EVAL. */
  code: string;
  message: string;
  exit_code?: number;
  /** An HTTP task's response status, when the status failed it (HTTP_STATUS). */
  http_status?: number;
  /** Last lines of stderr (bounded). */
  stderr_tail?: string;
  /**
   * On a task's last failure: why it was not tried again (`HTTP 404 is not retryable ...`,
   * `no retry configured`, `attempts exhausted (3 of 3)`). Absent when a retry follows.
   */
  not_retried?: string;
  /** CIRCUIT_OPEN: the circuit breaker that refused the attempt (docs/engine.md#circuit-breakers). */
  circuit?: string;
}

/**
 * How a loop expanded, as recorded: its items and how they were laid out, not its tasks.
 * The iterations are a pure function of this and the loop's task template in the run's
 * snapshot (engine/expand.ts), which every reader uses to derive them; recording one copy
 * of the template per item made a 100k-item loop a 30 MB event.
 */
export interface LoopExpansion {
  items: unknown[];
  /** Iteration keys: `loop[<item>]` (`item`: short unique names) or `loop[<index>]` (`index`). */
  labels: 'item' | 'index';
  /** Each iteration waits for the one before (a loop without `parallel`). */
  sequential: boolean;
  /** That wait only orders, it does not gate (stop_on_failure off). */
  order_only: boolean;
  /**
   * The keys of the tasks inside the template, relative to an iteration's key (`[0]`,
   * `[0][then]`), in the order the iterations list them; absent when there are none. Lets
   * a store list every task of the expansion without the snapshot (store/expansion.ts).
   */
  nested?: string[];
}

/** A task added while the run goes: a loop iteration, a conditional branch. */
export interface DynamicTask {
  key: string;
  parent: string;
  /** The normalized TaskSpec of this task (spec/model.ts), JSON. */
  spec: unknown;
  /** Loop iteration context. */
  item?: unknown;
  index?: number;
  /** Keys this task waits for, besides its parent having started. */
  after: string[];
  /** `after` only orders (a loop that goes on after a failed iteration); it does not gate. */
  order_only?: boolean;
  /** Static children of a composite inside the iteration (their keys, also in this event). */
  children?: string[];
  /** For a conditional's branch inside the iteration. */
  branch?: 'then' | 'else';
}

/**
 * What a code run's task is (engine/steps/): a step of the code, a map over items (its
 * iterations are steps under it), or a durable wait. Recorded on the TaskStarted that
 * brings the task into the run, since a code run has no graph to list its tasks before.
 */
export interface StepInfo {
  kind: 'step' | 'map' | 'sleep' | 'approval' | 'event' | 'run';
  /** The map a step belongs to (`renew` for `renew[web1]`). */
  parent?: string;
  /** sleep: when it wakes (ms since epoch). */
  until?: number;
  /** approval and event: when the wait gives up (ms since epoch). */
  timeout_at?: number;
  /** approval: the question asked. */
  prompt?: string;
  /** approval of a workflow file: who may answer (user names, `role:NAME`); absent: anyone who may approve. */
  approvers?: string[];
  /** approval of a workflow file: its timeout approves it (absent: a timeout rejects it). */
  on_timeout?: 'approve';
  /** event: the name of the event it waits for. */
  event?: string;
  /** event of a workflow file: the condition an event must meet to end the wait (spec WaitTask.filter). */
  filter?: string;
  /** run: the id of the child run it drives, chosen before it starts so a resume finds it. */
  child?: string;
  /** step: the work queue its attempts run in when workers drive the run (a remote step, engine/steps/remote-steps.ts). */
  queue?: string;
  /** map: how many items it maps (its steps are its items; how many ended is its progress). */
  items?: number;
}

/** A pool a ready task waits for (TaskAwaitingResources): what it asks, what others hold. */
export interface PoolWait {
  pool: string;
  wants: number;
  capacity: number;
  in_use: number;
  /** Who holds it, oldest first (at most a few). */
  held_by: Array<{ run: string; task: string; amount: number }>;
}

/** One open wait of a waiting run, as `baton status`, `approve` and `emit` show it. */
export interface RunWait {
  task: string;
  /** pause: a failed task of a workflow file waiting to be retried, skipped or aborted (`baton resolve`). */
  kind: 'sleep' | 'approval' | 'event' | 'pause';
  until?: number;
  timeout_at?: number;
  prompt?: string;
  approvers?: string[];
  event?: string;
  filter?: string;
  /** pause: the failure it paused on. */
  error?: { code: string; message: string };
}

/**
 * Who asked for what an event records, when not a person at the command line: `mcp`, an
 * agent over `baton mcp`. Absent on events the CLI's own commands record.
 */
export type RequestOrigin = 'mcp' | 'api' | 'schedule' | 'trigger';

/** Where a run is when its RunCreated names no namespace (docs/access.md#namespaces). */
export const DEFAULT_NAMESPACE = 'default';

/**
 * What fired a run started by a trigger of `baton serve` (docs/server.md#triggers):
 * recorded in its RunCreated, and read by its tasks as `trigger` (`run.trigger` in a
 * callback, where `trigger` is the task that called it).
 */
/** What may fire a run, and `manual` for a run started by hand: the values lists of runs filter on (RunFilter.trigger). */
export const RUN_TRIGGERS = ['manual', 'schedule', 'webhook', 'file_change', 'event', 'message'] as const;

export interface RunTrigger {
  type: Exclude<(typeof RUN_TRIGGERS)[number], 'manual'>;
  /** When it fired (ISO 8601). */
  at: string;
  /** The firing's id in the store's record of firings. */
  firing?: number;
  /** schedule: its cron expression. */
  schedule?: string;
  /** webhook: its path (under /hooks), the parsed body, a few of its headers, its delivery id. */
  webhook?: string;
  payload?: unknown;
  headers?: Record<string, string>;
  delivery?: string;
  /** file_change: the changed paths, relative to the workflow's folder. */
  files?: string[];
  /** event: the event's name and data. */
  event?: string;
  data?: unknown;
  /** event with workflow_run: the run that ended. */
  run?: { id: string; workflow: string; status: string };
  /** message: the message a broker delivered (its delivery id is `delivery`). */
  message?: TriggerMessage;
}

/** A broker's message as a run sees it (`trigger.message`). */
export interface TriggerMessage {
  broker: 'nats' | 'amqp' | 'mqtt';
  /** NATS: the subject it was published to, the stream that kept it and its sequence there. */
  subject?: string;
  stream?: string;
  sequence?: number;
  /** AMQP: the queue it was read from, the exchange and routing key it was published with. */
  queue?: string;
  exchange?: string;
  routing_key?: string;
  /** MQTT: the topic it was published to. */
  topic?: string;
  /** Parsed JSON, or text (the trigger's `format`). */
  body: unknown;
  /** NATS headers, AMQP headers, MQTT 5 user properties. */
  headers: Record<string, string>;
  /** The id its publisher gave it (Nats-Msg-Id, AMQP message_id, MQTT user property message-id). */
  id?: string;
  /** The broker says it may have been delivered before. */
  redelivered: boolean;
}

/** What answered a wait: an approval (approved or not), or an event's data. */
export interface WaitAnswer {
  approved?: boolean;
  comment?: string;
  /** Who answered (user@host), for the record. */
  by?: string;
  /** Where the answer came from (`mcp`); absent: the command line. */
  origin?: RequestOrigin;
  /** The event's name and data. */
  event?: string;
  data?: unknown;
  /** A paused task's fate (`baton resolve`): run it again, skip it, or let it fail. */
  resolution?: 'retry' | 'skip' | 'abort';
}

/**
 * The code a code run runs: a TypeScript/JavaScript workflow bundled with what it imports
 * from the project (sdk/load.ts), or a script in any language run as it was (`baton run
 * script.sh`). Resume and retry run this snapshot, not the file as it is now.
 */
export interface CodeSnapshot {
  language: 'js' | 'script';
  /** Absolute path of the file it came from. */
  file: string;
  /** Hash of that file's text when the run started, to tell a resume that it changed. */
  sha256: string;
  /** The bundle (js) or the script's text. */
  text: string;
  /** js: hash of the bundle. */
  bundle_sha256?: string;
  /** script: the command that runs it (the interpreter from its #! line, or from its extension). */
  interpreter?: string[];
}

/**
 * The sandbox a run runs in (docs/sandbox.md): recorded in RunCreated, so that `baton
 * resume` and `baton retry` run it in the same sandbox, whatever the configuration says by
 * then. Runs recorded without it ran unsandboxed.
 */
export interface RunSandbox {
  /** The project folder (and `writable`) writable, the rest of the file system read-only. */
  mode: 'workspace-write';
  /** Its processes may use the network. */
  network: boolean;
  /**
   * The folders its processes may write, absolute: the project's first, then the config's
   * `sandbox.writable`. baton's own store is not among them: it is made writable wherever
   * it is when the run goes on.
   */
  writable: string[];
}

/** What a run asks of the queue, in its RunCreated (docs/workflow-format.md#concurrency). */
export interface RunAdmissionAsk {
  /** Higher starts first among queued runs; ties in arrival order. Default 0. */
  priority: number;
  /** The workflow's `concurrency:` with its key evaluated for this run. */
  concurrency?: { key: string; limit: number; on_conflict: OnConflict };
}

/** What a run whose concurrency key is full does: wait, not run, or cancel the runs holding it. */
export type OnConflict = 'queue' | 'skip' | 'cancel-running';

export type RunEvent =
  | {
      type: 'RunCreated';
      /**
       * The normalized workflow (spec/model.ts): the snapshot resume and retry use. For a
       * code run, its name and inputs with no tasks (steps join the run as they start).
       */
      workflow: unknown;
      /** What drives the run: the graph of `workflow` (absent), or code (`code`). */
      kind?: 'code';
      code?: CodeSnapshot;
      inputs: Record<string, unknown>;
      env: Record<string, string>;
      /** Who started the run (`mcp`); absent: the command line. */
      origin?: RequestOrigin;
      /** The namespace it belongs to (docs/access.md); absent: `default`. */
      namespace?: string;
      /** Who started it, as the audit trail names them (`token:<id>`, `user:<name>`, `trigger:...`). */
      actor?: string;
      /** What fired it, for a run a trigger started (origin `trigger`). */
      trigger?: RunTrigger;
      /** The file it came from and a hash of its text, to tell a resume that it changed. */
      source?: { file: string; sha256: string };
      /** The folder relative paths resolve against. */
      base_dir?: string;
      /** The sandbox it runs in; absent: none. */
      sandbox?: RunSandbox;
      /**
       * What it asked of the run queue (runs/admission.ts): a run started by a front end
       * has it; a child run, or one recorded before queues, does not, and is not queued.
       */
      admission?: RunAdmissionAsk;
      /**
       * Workers drive it (docs/postgres.md): any `baton worker` subscribed to `queue` may
       * claim it, and its tasks wait in the work queue (store/work.ts), each in its own
       * `queue:` or this one. Absent: the process that created it drives it and runs its tasks.
       */
      workers?: { queue: string };
      /** The idempotency key it was started with (store/idempotency.ts); absent: none. */
      idempotency_key?: string;
    }
  | { type: 'RunStarted' }
  /**
   * The run may not start yet: `reason` says which limit is full, `behind` lists runs
   * holding its key then (at most 10), `cancelling` those asked to cancel for it
   * (on_conflict: cancel-running). Its place in the queue is read from the store.
   */
  | { type: 'RunQueued'; key?: string; priority: number; reason: 'concurrency' | 'max_running'; behind?: string[]; cancelling?: string[] }
  /** A queued run's turn came: it is pending again, and starts. */
  | { type: 'RunAdmitted' }
  /**
   * A new owner picked the run up after its previous one was gone (`baton resume`).
   * `ran_until`: the previous owner's last sign of life (its last heartbeat or event), where
   * its stretch of the run's time ends (store/active-time.ts).
   */
  | { type: 'RunResumed'; owner: { host: string; pid: number }; ran_until?: number; origin?: RequestOrigin }
  /**
   * `baton retry`: these tasks go back to pending for a new attempt; everything else keeps
   * its result. The run is running again.
   */
  | {
      type: 'RunReopened';
      tasks: string[];
      from?: string;
      /** A code run retried on its file's new code (`baton retry --new-code`): runs this from now on. */
      code?: CodeSnapshot;
      /** Who asked for the retry (`mcp`); absent: the command line. */
      origin?: RequestOrigin;
    }
  /** `trigger`: for a callback, the task whose end started it. */
  | { type: 'TaskReady'; task: string; trigger?: string }
  /** `step`: in a code run, what the task is (on the attempt that brought it into the run). */
  | { type: 'TaskStarted'; task: string; attempt: number; worker?: string; step?: StepInfo }
  /**
   * A loop's iterations. Runs recorded before the compact form (LoopExpansion) carry
   * `children` (every iteration with its spec) instead; readers take both.
   */
  | ({ type: 'TaskExpanded'; task: string } & (LoopExpansion | { children: DynamicTask[] }))
  /**
   * The attempt was running when its owner died: the task is ready again and runs a new
   * attempt (with the same idempotency key) that does not count against its retry policy.
   */
  | { type: 'TaskInterrupted'; task: string; attempt: number }
  /** A conditional evaluated its `if` and took a branch. */
  | { type: 'TaskBranched'; task: string; branch: 'then' | 'else'; condition: boolean }
  | { type: 'TaskSucceeded'; task: string; attempt: number; outputs: Record<string, unknown>; exit_code?: number }
  /** `outputs`: what a failed composite keeps of its children (a loop's `results`). */
  | { type: 'TaskFailed'; task: string; attempt: number; error: TaskError; retryable: boolean; outputs?: Record<string, unknown> }
  /** `fallback`: the next attempt runs the task's fallback, after its own attempts failed. */
  | { type: 'TaskRetryScheduled'; task: string; attempt: number; at_due: number; fallback?: true }
  /**
   * A ready task cannot start yet: pools it asks for (`resources`) are held by other tasks.
   * Recorded once, when attempt `attempt` starts waiting (engine/resources.ts); the task
   * starts when it gets every pool at once.
   */
  | { type: 'TaskAwaitingResources'; task: string; attempt: number; pools: PoolWait[] }
  /**
   * The attempt changed its task's circuit breaker (engine/circuits.ts): it went through as a
   * probe (half_open), its success closed it (closed), or its failure opened it (open:
   * `failures` within `window` did, or, without them, a failed probe), until `probe_at`. The
   * circuit's state now is in the store (store/circuits.ts); this is who changed it, when.
   */
  | { type: 'CircuitChanged'; task: string; attempt: number; circuit: string; state: 'closed' | 'open' | 'half_open'; failures?: number; window?: number; probe_at?: number }
  /**
   * What a running attempt says of its own progress (`progress=NN` in $BATON_OUTPUT,
   * `ctx.progress` in code): a percentage, items done of a total, or both, with an optional
   * message. Recorded at most about once a second per task while it changes, and once more
   * before the attempt ends if it changed since (engine/progress-recorder.ts), so a task
   * reporting 10,000 times makes a handful of events. The task row keeps the latest
   * (TaskRecord.progress).
   */
  | { type: 'TaskProgress'; task: string; attempt: number; percent?: number; done?: number; total?: number; message?: string }
  | { type: 'TaskSkipped'; task: string; reason: string }
  | { type: 'TaskCancelled'; task: string; reason: string }
  /** `origin`: who asked (`mcp`), when the process that took the request records it. */
  /** `compensate`: the tasks that succeeded are undone before the run ends (`baton cancel --compensate`). */
  | { type: 'RunCancelRequested'; reason: string; origin?: RequestOrigin; compensate?: true }
  /**
   * The run was going to end failed (or cancelled with `compensate`), and some of its tasks
   * that succeeded have a `compensate:`. Their compensations run now, one after another, in
   * `tasks`' order (the reverse of the order those tasks succeeded in), as tasks keyed
   * `compensate[<task>]`; then the run ends as `end` says, with how the compensation went.
   */
  | { type: 'RunCompensating'; tasks: string[]; end: { type: 'RunFailed'; error: TaskError } | { type: 'RunCancelled'; reason: string } }
  /**
   * A code run has nothing running and only waits open: its active time stops. With only
   * approvals and events left, its process lets it go (`baton approve`, `baton emit` or a
   * daemon continue it); with a sleep, the process stays and sleeps.
   */
  | { type: 'RunWaiting'; waits: RunWait[] }
  /**
   * `baton approve` or `baton emit` answered an approval or delivered an event to a wait
   * that was open. Recorded by whoever answers (the run's owner may be another process);
   * an answer to a wait that has already ended (timed out, cancelled) changes nothing.
   */
  | {
      type: 'WaitAnswered';
      task: string;
      answer: WaitAnswer;
      /**
       * A workflow file's wait or paused task: the answer does not end the task by itself; the
       * run's driver takes it up and records the end with the usual events (TaskSucceeded,
       * TaskFailed with its retries, fallback and pause; TaskReady, TaskSkipped), so the folds
       * only note it (engine/waits.ts). Absent: a code run's wait, ended by the answer.
       */
      deferred?: true;
    }
  /**
   * The attempt failed and nothing more would be tried, and the task has `on_failure: pause`:
   * instead of failing, it waits (status `waiting`) for `baton resolve` to retry, skip or
   * abort it. `error` is the failure, as TaskFailed would have recorded it.
   */
  | { type: 'TaskPaused'; task: string; attempt: number; error: TaskError }
  /** A wait of a waiting run ended (a sleep came due, an answer arrived): it runs again. */
  | { type: 'RunWoke' }
  /** A code run's end: `summary` is what it reports back, `result` what its function returned. */
  | { type: 'RunSucceeded'; summary?: string; result?: unknown }
  | { type: 'RunFailed'; error: TaskError; summary?: string; compensation?: Compensation }
  /** `skipped`: it never started, because its concurrency key was busy (on_conflict: skip). */
  | { type: 'RunCancelled'; reason: string; skipped?: true; compensation?: Compensation };

/**
 * How the compensation of a failed or cancelled run went (RunCompensating): `compensated`,
 * every compensation succeeded; `compensation_failed`, `failed` (a task key) did not, and
 * those after it did not run.
 */
export interface Compensation {
  status: 'compensated' | 'compensation_failed';
  /** The tasks undone, in the order their compensations ran. */
  tasks: string[];
  failed?: string;
}

export type RunEventType = RunEvent['type'];

/** An event stamped by the engine with the time it happened (ms since epoch). */
export type TimedEvent = RunEvent & { at: number };

/** An event as stored: numbered (from 1) within its run. */
export type StoredEvent = TimedEvent & { seq: number };

/** The namespace of the run a first event creates: its RunCreated's, else the default one. */
export function namespaceOf(first: RunEvent | undefined): string {
  return (first?.type === 'RunCreated' ? first.namespace : undefined) ?? DEFAULT_NAMESPACE;
}
