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

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TaskStatus =
  | 'pending'
  | 'ready'
  | 'running'
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
  /** Last lines of stderr (bounded). */
  stderr_tail?: string;
  /**
   * On a task's last failure: why it was not tried again (`HTTP 404 is not retryable ...`,
   * `no retry configured`, `attempts exhausted (3 of 3)`). Absent when a retry follows.
   */
  not_retried?: string;
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

export type RunEvent =
  | {
      type: 'RunCreated';
      /** The normalized workflow (spec/model.ts): the snapshot resume and retry use. */
      workflow: unknown;
      inputs: Record<string, unknown>;
      env: Record<string, string>;
      /** The file it came from and a hash of its text, to tell a resume that it changed. */
      source?: { file: string; sha256: string };
      /** The folder relative paths resolve against. */
      base_dir?: string;
    }
  | { type: 'RunStarted' }
  /**
   * A new owner picked the run up after its previous one was gone (`baton resume`).
   * `ran_until`: the previous owner's last sign of life (its last heartbeat or event), where
   * its stretch of the run's time ends (store/active-time.ts).
   */
  | { type: 'RunResumed'; owner: { host: string; pid: number }; ran_until?: number }
  /**
   * `baton retry`: these tasks go back to pending for a new attempt; everything else keeps
   * its result. The run is running again.
   */
  | { type: 'RunReopened'; tasks: string[]; from?: string }
  /** `trigger`: for a callback, the task whose end started it. */
  | { type: 'TaskReady'; task: string; trigger?: string }
  | { type: 'TaskStarted'; task: string; attempt: number; worker?: string }
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
  | { type: 'TaskRetryScheduled'; task: string; attempt: number; at_due: number }
  | { type: 'TaskSkipped'; task: string; reason: string }
  | { type: 'TaskCancelled'; task: string; reason: string }
  | { type: 'RunCancelRequested'; reason: string }
  | { type: 'RunSucceeded' }
  | { type: 'RunFailed'; error: TaskError }
  | { type: 'RunCancelled'; reason: string };

export type RunEventType = RunEvent['type'];

/** An event stamped by the engine with the time it happened (ms since epoch). */
export type TimedEvent = RunEvent & { at: number };

/** An event as stored: numbered (from 1) within its run. */
export type StoredEvent = TimedEvent & { seq: number };
