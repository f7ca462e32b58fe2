/**
 * The normalized workflow: what every layer above `spec` sees, whichever file shape
 * (canonical YAML/JSON, `phases`, `workflow.stages`) it was written in.
 *
 * Glossary (one word per idea, used the same way in code, CLI output, API and UI):
 * - workflow: a normalized definition, identified by name and content hash.
 * - run: one execution of a workflow (see store/events.ts).
 * - task: a node of a run's graph; static tasks come from the file, dynamic ones from
 *   loops and conditionals. Every task has a stable key within its run.
 * - attempt: one try of a task; retries make new attempts.
 * - executor: the module that runs one task type (shell, http, script, noop, sleep, skill,
 *   publish, docker, data_processor, sql, workflow, notify).
 * - child run: a run started by a task or step of another run (a `workflow` task, `uses:`,
 *   ctx.run), with its own events; its id is derived from its parent's, so a resume finds it.
 * - channel: where a notification goes (a webhook now); named ones are defined in
 *   baton.config.yaml's `notifications.channels`.
 * - record: one item of a data_processor's data: a line of its input or output.
 * - message: what a broker carries; a publish task sends one, a message trigger fires on one.
 * - callback: a task named in another task's on_success/on_failure; runs only then.
 * - wait: a task that runs nothing and waits (an approval, a time, an event); the run, with
 *   nothing else to do, is `waiting` and may be let go by its process (engine/waits.ts).
 * - approval: a wait for a person's yes or no (`baton approve`); approvers: who may give it.
 * - pause: a failed task (`on_failure: pause`) waiting for a person to retry, skip or abort it.
 * - circuit: a named circuit breaker (`circuits:` of a workflow or baton.config.yaml) that the
 *   tasks naming it go through; its state is in the store, shared by every run (store/circuits.ts).
 * - idempotency key: a caller's name for one start of a run (store/idempotency.ts): a start
 *   with the key of a run gets that run. A task's attempts have their own, `<run>/<task>`.
 *
 * Units: every duration here is in milliseconds, whatever the file said.
 */

import type { DataProcessorTask, DockerTask, NotifyTask, PublishTask, SqlTask, WaitingTask, WorkflowTask } from './model-service-tasks.js';

export type Duration = number;

export interface RetryPolicy {
  /** Total tries including the first; 1 means no retry. */
  attempts: number;
  /** Wait before the first retry. */
  delay: Duration;
  /** How the wait grows: fixed (delay), linear (delay*n), exponential (delay*factor^(n-1)). */
  backoff: 'fixed' | 'linear' | 'exponential';
  /** Multiplier for exponential backoff; default 2. */
  factor: number;
  /** Upper bound on any single wait; default: none (Infinity is not JSON, so undefined). */
  max_delay?: Duration;
  /** Random spread applied to each wait, 0..1 (0.1 = ±10%); default 0.1. */
  jitter: number;
  /**
   * Only failures that match are retried, whatever the task type says of them (an HTTP 404
   * may be retried when named here). Default: what the task type says (exit codes, HTTP
   * 408/429/5xx, timeouts and network errors are retryable).
   */
  retry_on?: RetryMatch;
  /** Failures that match are never retried; checked before `retry_on`. */
  no_retry_on?: RetryMatch;
  /** No retry starts this long after the first attempt started (a budget across attempts). */
  max_duration?: Duration;
}

/** Failures a retry policy names: any of them matches. */
export interface RetryMatch {
  exit_codes?: number[];
  http_statuses?: number[];
  /** Error codes (EXEC_TIMEOUT, HTTP_NETWORK, SQL_QUERY...). */
  errors?: string[];
}

/**
 * A circuit breaker (docs/engine.md#circuit-breakers): after `failures` failed attempts
 * within `window` it opens, and the attempts of every task naming it fail at once for
 * `open_for`; then `probes` attempts go through, and how they end closes it or opens it again.
 */
export interface CircuitPolicy {
  /** Failed attempts within `window` that open it; at least 1. */
  failures: number;
  /** What failures are counted over; more than 0. */
  window: Duration;
  /** How long it stays open before a probe may go; more than 0. */
  open_for: Duration;
  /** Probe attempts at once once `open_for` has passed; default 1. */
  probes: number;
  /** Only failures that match count; default every failure but CIRCUIT_OPEN itself. */
  count_on?: RetryMatch;
}

/** Fields every task has, whatever its type. */
export interface TaskBase {
  /** Unique within the workflow. Generated (`parent[0]`, `loop[qa]`, `cond[then]`) when the file gives none. */
  id: string;
  /** True when `id` came from the file; only such ids may be referred to. */
  explicit_id: boolean;
  name?: string;
  depends_on: string[];
  /** Whole string is one expression (the `${ }` wrappers of the seed form are accepted). */
  condition?: string;
  /** Start-to-close: the time limit of one attempt. */
  timeout?: Duration;
  /**
   * Schedule-to-close: from when the task is first ready to its end, waiting for a slot, a
   * pool or a worker, every attempt and every retry's delay included. Past it the task fails
   * (EXEC_DEADLINE), not retried. Leaf tasks only.
   */
  schedule_timeout?: Duration;
  /** A running attempt that prints nothing (stdout or stderr) for this long fails (EXEC_HEARTBEAT_TIMEOUT, retryable). Leaf tasks only. */
  heartbeat_timeout?: Duration;
  retry?: RetryPolicy;
  on_success: string[];
  on_failure: string[];
  /** Extra outputs: name -> template evaluated after the task ends, with `result` in context. */
  outputs: Record<string, string>;
  /** Echo the task's output to the terminal as it runs; default false. */
  live_output: boolean;
  /** A failure of this task does not fail the run or skip its dependants; default false. */
  continue_on_error: boolean;
  environment: Record<string, string>;
  cwd?: string;
  /**
   * What runs instead when the task has failed after its retries (leaf tasks only): its
   * success is the task's, with its outputs. Normalized from an inline task or the id of a
   * top-level task, which then runs only as a fallback.
   */
  fallback?: LeafTask;
  /**
   * What undoes the task once it succeeded, when the run then fails (or is cancelled with
   * `--compensate`): the saga's reverse operation (leaf tasks only). Normalized from an inline
   * task or the id of a top-level task, which then runs only as a compensation.
   */
  compensate?: LeafTask;
  /**
   * The circuit breaker its attempts go through (`circuits:` of the workflow or of
   * baton.config.yaml): while it is open they fail at once with CIRCUIT_OPEN. Leaf tasks only; default none.
   */
  circuit?: string;
  /**
   * `on_failure: pause`: once its attempts (and its fallback) have failed, the task waits for
   * a person to retry, skip or abort it (`baton resolve`) instead of failing. Leaf and wait
   * tasks only; default false (then `on_failure` lists callbacks).
   */
  pause_on_failure?: true;
  /** Pools (baton.config.yaml `resources:`) it holds while an attempt runs: pool -> amount. Leaf tasks only; none when absent. */
  resources?: Record<string, number>;
  /**
   * The work queue its attempts wait in when workers drive the run: only workers
   * subscribed to it (`baton worker --queues gpu`) run them. On a composite it is the
   * default of the tasks inside, which normalization copies into those that name none.
   * Default: the workflow's `queue`, else the run's.
   */
  queue?: string;
}

export interface ShellTask extends TaskBase {
  type: 'shell';
  command: string;
  /** Program that runs `command`; default `sh` (run as `sh -c command`). */
  shell?: string;
}

export interface HttpTask extends TaskBase {
  type: 'http';
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Raw body (string) or JSON (anything else, sent with content-type application/json). */
  body?: unknown;
  auth?: { username: string; password: string } | { bearer: string };
  /** Statuses that count as success; default 200-399. */
  expect_status?: number[];
}

export interface ScriptTask extends TaskBase {
  type: 'script';
  language: 'javascript' | 'typescript' | 'python';
  /** Path to a file (relative to the workflow file's folder) ... */
  script?: string;
  /** ... or inline source; exactly one of the two. */
  code?: string;
  args: string[];
  /** Passed to the script as JSON. */
  inputs: Record<string, unknown>;
}

export interface NoopTask extends TaskBase {
  type: 'noop';
}

export interface SleepTask extends TaskBase {
  type: 'sleep';
  duration: Duration;
}

export interface ParallelTask extends TaskBase {
  type: 'parallel';
  tasks: TaskSpec[];
  /** all: every child must succeed; any: done when one succeeds; first: the first to end decides. */
  wait_for: 'all' | 'any' | 'first';
  /** Children running at once; default unlimited (still bounded by the run's concurrency). */
  max_concurrency?: number;
}

export interface LoopTask extends TaskBase {
  type: 'loop';
  /** A literal list, or a template (`${ fromJSON(tasks.list.outputs.items) }`) evaluated when the loop starts. */
  items: unknown[] | string;
  /** Template of each iteration; `item` and `index` are in its context. */
  task: TaskSpec;
  /** Run iterations at once; default false (one after another). */
  parallel: boolean;
  max_concurrency?: number;
  /** Stop starting iterations after one fails; default true. */
  stop_on_failure: boolean;
}

export interface ConditionalTask extends TaskBase {
  type: 'conditional';
  /** Decides the branch (unlike TaskBase.condition, which decides whether the task runs at all). */
  if: string;
  then?: TaskSpec;
  else?: TaskSpec;
}

/** `uses: <skill>` with `with: {...}`: runs a skill's entry as a child run; its outputs are this task's. */
export interface SkillTask extends TaskBase {
  type: 'skill';
  /** The skill's name (skills/resolve.ts finds it). */
  skill: string;
  /** The skill's inputs; strings may hold templates. */
  with: Record<string, unknown>;
}

// The leaf tasks that talk to other systems (publish, docker, data_processor, sql, workflow,
// notify) and the tasks that wait (approval, wait): spec/model-service-tasks.ts.
export type * from './model-service-tasks.js';
export type { NotifyChannel } from './notify-channels.js';

export type LeafTask = ShellTask | HttpTask | ScriptTask | NoopTask | SleepTask | SkillTask | PublishTask | DockerTask | DataProcessorTask | SqlTask | WorkflowTask | NotifyTask;
export type CompositeTask = ParallelTask | LoopTask | ConditionalTask;
export type TaskSpec = LeafTask | CompositeTask | WaitingTask;
export type TaskType = TaskSpec['type'];

export interface InputSpec {
  type: 'string' | 'number' | 'boolean' | 'json';
  description?: string;
  default?: unknown;
  required: boolean;
}

export type TriggerType = 'manual' | 'schedule' | 'webhook' | 'file_change' | 'event' | 'message';

export interface Trigger {
  type: TriggerType;
  config: {
    schedule?: string;
    /** IANA time zone of `schedule`; default UTC. */
    timezone?: string;
    /** Firings missed while no server ran: `skip` (default) or `run-once` at start. */
    missed?: 'skip' | 'run-once';
    /** Globs of files (relative to the workflow's folder) whose changes fire it. */
    files?: string[];
    /** Changes within this many ms of each other fire once (default 500). */
    debounce?: number;
    /** The path it is served at, under /hooks; always starts with '/'. */
    webhook?: string;
    /** The environment variable holding the webhook's HMAC secret. */
    secret_env?: string;
    /** How far a signed timestamp may be from now, in ms (default 5 minutes). */
    tolerance?: number;
    /** The named event (`baton emit NAME`) that fires it. */
    event?: string;
    /** Another workflow's runs ending (with one of these statuses, default any) fire it. */
    workflow_run?: { workflow: string; status?: string[] };
    /** A condition over `trigger` (and `env`): a firing it is false for starts no run. */
    filter?: string;
    /** The run's inputs, templates over `trigger` (and `env`). */
    inputs?: Record<string, unknown>;
    /** The runs it starts: their place among queued runs (higher first); default 0. */
    priority?: number;
    /**
     * The idempotency key of the run it starts, a template over `trigger` (and `env`): a
     * firing whose key belongs to a run (a delivery sent again) starts none. Default: none.
     */
    idempotency_key?: string;
    /** message: the broker (nats://, amqp://, mqtt://...), or a template over `env`. */
    url?: string;
    /** message, NATS: the subject a durable JetStream consumer filters on, and its stream (made when missing; default: the stream that captures the subject). */
    subject?: string;
    stream?: string;
    /** message, AMQP: the queue consumed (declared durable when missing), bound to `exchange` with `routing_key` (default `#`) when one is named. */
    queue?: string;
    exchange?: string;
    routing_key?: string;
    /** message, MQTT: the topic filter. */
    topic?: string;
    /** message: the NATS durable consumer, the MQTT client id; default made from the namespace, workflow and destination. */
    consumer?: string;
    /** message: how the body is read: auto (default; JSON when it is), json (a body that is not is refused), text. */
    format?: 'auto' | 'json' | 'text';
    /** message: messages the broker sends ahead of their acknowledgement; default 16. */
    prefetch?: number;
  };
}

/** A workflow's limit on its runs (Workflow.run_concurrency). */
export interface RunConcurrency {
  /** A template over `inputs` and `workflow` (`deploy-${ inputs.env }`); default the workflow's name. */
  key: string;
  /** Runs holding the key at once; default 1. */
  limit: number;
  /** A run that finds the key full: waits (`queue`, default), is not run (`skip`), or cancels the runs holding it and starts when they end (`cancel-running`). */
  on_conflict: 'queue' | 'skip' | 'cancel-running';
}

export interface Notifications {
  channels: string[];
  on_completion: boolean;
  on_failure: boolean;
  on_success: boolean;
}

/**
 * An alert (docs/observability.md#alerts): when `condition` holds at a run's end, `template`
 * (or a default text) goes to `channels` (default: the notifications' channels), once per
 * `window` for the rule and workflow.
 */
export interface Alert {
  name: string;
  /** An expression over execution, workflow, metrics, error (observability/notifications/condition.ts). */
  condition: string;
  channels: string[];
  template?: string;
  /** ms: at most one alert of this rule per workflow within it; default 1 hour. */
  window?: number;
}

export interface Workflow {
  name: string;
  version?: string;
  description?: string;
  /** What starts its runs besides `baton run` (`trigger:` or `triggers:` in the file). */
  triggers?: Trigger[];
  environment: Record<string, string>;
  /** Names of environment variables holding secrets: `${ secrets.NAME }`, masked in logs and events. */
  secrets?: string[];
  inputs: Record<string, InputSpec>;
  /**
   * What a run gives back when it succeeds (a skill's outputs to its caller): name ->
   * template over the run's contexts (`${ tasks.check.outputs.status }`), evaluated once
   * every task has ended; the values become RunSucceeded's `result`.
   */
  outputs?: Record<string, string>;
  /** Top-level tasks in file order. Callbacks are here too (see `callbacks`). */
  tasks: TaskSpec[];
  /** Ids named in some on_success/on_failure: they run only as callbacks, never as roots. */
  callbacks: string[];
  /** Whole-run time limit. */
  timeout?: Duration;
  /**
   * The work queue of its tasks that name none (ahead of the run's own queue), and the
   * queue `baton run` submits a run to when `--queue` names none. Default: none (tasks go
   * to the run's queue, else `default`).
   */
  queue?: string;
  /**
   * Tasks running at once by default (`concurrency: {tasks: N}`, or the older `concurrency:
   * N`); the --concurrency flag wins.
   */
  concurrency?: number;
  /**
   * How many runs of the workflow run at once (`concurrency: {key, limit, on_conflict}`,
   * docs/workflow-format.md#concurrency): runs sharing the key's value beyond `limit` are
   * queued, skipped, or make the running ones cancel. Absent: no limit of its own.
   */
  run_concurrency?: RunConcurrency;
  /**
   * Circuit breakers by name: those the file declares under `circuits:`, and those of
   * baton.config.yaml its tasks name, as they were when the run started. Absent: none.
   */
  circuits?: Record<string, CircuitPolicy>;
  notifications?: Notifications;
  alerts: Alert[];
  /** ms: how long a run usually takes (`expected_duration:`), for alerts on slow runs; default: the median of recent runs. */
  expected_duration?: number;
  /** Where the workflow came from; `format` tells which importer, if any, produced it. */
  source: { file: string; format: 'canonical' | 'phases' | 'stages' };
}
