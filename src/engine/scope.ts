import type { Scope } from '../expr/index.js';
import type { RunTrigger } from '../store/events.js';
import type { TaskState, RunState } from './state.js';
import { taskDurationMs } from './summary.js';

/**
 * The expression contexts a task sees: env, inputs, tasks, run, workflow, trigger, and
 * item/index inside a loop. `tasks` is kept up to date as tasks end (one small object per task), so
 * building a scope costs the same however big the run is.
 */
export interface TaskContext {
  status: string;
  exit_code?: number;
  outputs: Record<string, unknown>;
  error?: string;
  error_code?: string;
  reason?: string;
  attempts: number;
  duration_ms?: number;
}

/** `trigger` of a run no trigger started (`baton run`, the API, MCP). */
const MANUAL = Object.freeze({ type: 'manual' as const });

export class ScopeBuilder {
  private readonly tasks: Record<string, TaskContext> = Object.create(null);
  /** Tasks ended since the last scope was built: added to `tasks` only when a scope is needed. */
  private readonly endedSince: string[] = [];
  private run?: { id: string; trigger: RunTrigger | { type: 'manual' } };
  private readonly workflow: { name: string; version?: string };

  constructor(
    private readonly state: RunState,
    /** env context: process env, then workflow env, then --env; task env goes on top per task. */
    readonly env: Record<string, string>,
    /** secrets context: the values of the workflow's `secrets:` (engine/mask.ts). */
    private readonly secrets: Record<string, string> = {},
  ) {
    this.workflow = { name: state.plan.workflow.name, version: state.plan.workflow.version };
  }

  /** Notes that a task ended; what dependants see of it is built when a scope is next needed. */
  taskEnded(key: string): void {
    this.endedSince.push(key);
  }

  private catchUp(): void {
    for (const key of this.endedSince) this.tasks[key] = this.describe(this.state.task(key));
    this.endedSince.length = 0;
  }

  private describe(task: TaskState): TaskContext {
    return {
      status: task.status,
      exit_code: task.exitCode,
      outputs: task.outputs ?? {},
      error: task.error?.message,
      error_code: task.error?.code,
      reason: task.reason,
      attempts: task.attempt,
      duration_ms: taskDurationMs(task),
    };
  }

  /** What `tasks.<key>` shows in expressions. */
  taskContext(key: string): TaskContext | undefined {
    this.catchUp();
    return this.tasks[key];
  }

  /** The scope of one task; `extra` adds contexts such as `result` for output templates. */
  forTask(key: string, status?: Scope['status'], extra?: Record<string, unknown>): Scope {
    this.catchUp();
    const node = this.state.nodes.get(key);
    const taskEnv = node?.spec.environment;
    const contexts: Record<string, unknown> = {
      env: taskEnv && Object.keys(taskEnv).length > 0 ? { ...this.env, ...taskEnv } : this.env,
      inputs: this.state.inputs,
      tasks: this.tasks,
      run: (this.run ??= { id: this.state.runId, trigger: this.state.trigger ?? MANUAL }),
      workflow: this.workflow,
      secrets: this.secrets,
    };
    // item/index come from the nearest loop iteration this task is in.
    for (let at = node; at; at = at.parent ? this.state.nodes.get(at.parent) : undefined) {
      if (at.index !== undefined) {
        contexts.item = at.item;
        contexts.index = at.index;
        break;
      }
    }
    // In a callback, `trigger` is the task that called it; elsewhere, what fired the run.
    const caller = this.state.tasks.get(key)?.trigger;
    contexts.trigger = caller ? { id: caller, ...this.tasks[caller] } : this.run.trigger;
    if (extra) Object.assign(contexts, extra);
    return { contexts, status };
  }
}
