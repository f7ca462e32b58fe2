/** The run as GET /api/runs/{id} gives it (src/runs/run-view.ts StatusJson): the fields the Run view reads. */

export interface WaitingFor {
  kind: string;
  message: string;
  tasks?: string[];
  prompt?: string;
  approvers?: string[];
  until?: string;
}

export interface TaskError {
  code: string;
  message: string;
  exit_code?: number;
  stderr_tail?: string;
}

export interface TaskJson {
  id: string;
  name?: string;
  type?: string;
  parent?: string;
  status: string;
  attempts: number;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  elapsed_ms?: number;
  exit_code?: number;
  outputs?: Record<string, unknown>;
  error?: TaskError;
  reason?: string;
  retry_at?: string;
  depends_on?: string[];
  waiting_for?: WaitingFor;
  child_run?: string;
  /** Reported by the task (progress=NN in $BATON_OUTPUT, ctx.progress) or a loop's iterations ended of all (docs/executors.md#progress). */
  progress?: TaskProgress;
}

export interface RunWait {
  task: string;
  kind: string;
  prompt?: string;
  approvers?: string[];
}

export interface RunJson {
  run_id: string;
  workflow: { name: string; version?: string };
  status: string;
  file?: string;
  created_at: string;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  elapsed_ms?: number;
  origin?: string;
  /** What fired it (schedule, webhook...), when a trigger did. */
  trigger?: string;
  inputs?: Record<string, unknown>;
  error?: TaskError;
  waits?: RunWait[];
  kind?: string;
  counts: Record<string, number>;
  tasks: TaskJson[];
}

/** A run event as the event stream sends it (`data` of a non-log item). */
export interface RunEventJson {
  type: string;
  seq: number;
  at: number;
  task?: string;
  attempt?: number;
  [field: string]: unknown;
}

/** A running task's progress as GET /api/runs/{id} gives it. */
export interface TaskProgress {
  percent?: number;
  done?: number;
  total?: number;
  message?: string;
  source?: 'task' | 'iterations';
  updated_at?: string;
  /** While it runs: the time left at the rate so far. */
  eta_ms?: number;
}

