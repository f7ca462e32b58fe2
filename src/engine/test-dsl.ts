/**
 * A tiny language for engine tests: build workflows without files, run them with a
 * scripted executor (a stand-in that succeeds or fails on cue, named as such), and read
 * back statuses and the order tasks started in.
 */
import type { Executor } from '../executors/types.js';
import { ExecutorError } from '../executors/errors.js';
import { executorFor } from '../executors/registry.js';
import type {
  ConditionalTask,
  LoopTask,
  NoopTask,
  ParallelTask,
  ShellTask,
  TaskBase,
  TaskSpec,
  Workflow,
} from '../spec/model.js';
import type { LoopExpansion, StoredEvent, TaskStatus } from '../store/events.js';
import { expandLoop } from './expand.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { runWorkflow, type RunOptions } from './runner.js';
import type { RunState } from './state.js';
import { taskDefaults } from '../spec/task-defaults.js';

const base = (id: string, extra: Partial<TaskBase>): TaskBase => ({
  id,
  explicit_id: true,
  ...taskDefaults(),
  ...extra,
});

export const noop = (id: string, extra: Partial<NoopTask> = {}): NoopTask => ({ ...base(id, extra), type: 'noop', ...extra });
export const shell = (id: string, command: string, extra: Partial<ShellTask> = {}): ShellTask => ({
  ...base(id, extra),
  type: 'shell',
  command,
  ...extra,
});
export const parallel = (id: string, tasks: TaskSpec[], extra: Partial<ParallelTask> = {}): ParallelTask => ({
  ...base(id, extra),
  type: 'parallel',
  tasks,
  wait_for: 'all',
  ...extra,
});
export const loop = (id: string, items: unknown[] | string, task: TaskSpec, extra: Partial<LoopTask> = {}): LoopTask => ({
  ...base(id, extra),
  type: 'loop',
  items,
  task,
  parallel: false,
  stop_on_failure: true,
  ...extra,
});
export const conditional = (id: string, cond: string, then?: TaskSpec, otherwise?: TaskSpec): ConditionalTask => ({
  ...base(id, {}),
  type: 'conditional',
  if: cond,
  then,
  else: otherwise,
});

export function workflow(tasks: TaskSpec[], extra: Partial<Workflow> = {}): Workflow {
  const callbacks = new Set<string>();
  const visit = (t: TaskSpec) => {
    for (const id of [...t.on_success, ...t.on_failure]) callbacks.add(id);
    if (t.type === 'parallel') t.tasks.forEach(visit);
    if (t.type === 'conditional') [t.then, t.else].forEach((c) => c && visit(c));
  };
  tasks.forEach(visit);
  return { name: 'test', environment: {}, inputs: {}, tasks, callbacks: [...callbacks], alerts: [], source: { file: 'test.yaml', format: 'canonical' }, ...extra };
}

/** What a scripted task does on each attempt: succeed (with outputs), fail, or wait first. */
export type Cue = 'ok' | 'fail' | 'fail-permanent' | { outputs?: Record<string, unknown>; fail?: boolean; wait?: number };

export interface TestRun {
  state: RunState;
  events: StoredEvent[];
  /** Leaf task keys in the order their attempts started. */
  started: string[];
  /** Most leaf attempts seen running at once. */
  peak: number;
  status(key: string): TaskStatus;
}

/**
 * Runs a workflow on the memory store. Tasks of type noop follow `cues` (default: succeed);
 * other types use the real executors.
 */
export async function runTest(
  wf: Workflow,
  cues: Record<string, Cue[]> = {},
  options: Partial<RunOptions> = {},
): Promise<TestRun> {
  const started: string[] = [];
  let running = 0;
  let peak = 0;
  const scripted: Executor = {
    async run(_task, io, signal) {
      started.push(io.taskKey);
      running++;
      peak = Math.max(peak, running);
      try {
        const cue = cues[io.taskKey]?.[io.attempt - 1] ?? 'ok';
        const step = typeof cue === 'string' ? { fail: cue !== 'ok', permanent: cue === 'fail-permanent' } : cue;
        const wait = typeof cue === 'object' ? cue.wait : undefined;
        if (wait) await abortableWait(wait, signal);
        else await Promise.resolve();
        if (step.fail) {
          throw new ExecutorError('EXEC_EXIT_CODE', `${io.taskKey} failed on cue`, {
            retryable: !('permanent' in step && step.permanent),
            exit_code: 1,
            stderr_tail: 'boom',
          });
        }
        return { outputs: (typeof cue === 'object' && cue.outputs) || {}, exit_code: 0 };
      } finally {
        running--;
      }
    },
  };
  const store = createMemoryStore();
  const events: StoredEvent[] = [];
  const { state } = await runWorkflow({
    store,
    workflow: wf,
    executors: (type) => (type === 'noop' ? scripted : executorFor(type)),
    onEvent: (e) => events.push(e),
    random: () => 0.5,
    ...options,
  });
  return { state, events, started, peak, status: (key) => state.task(key).status };
}

function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new ExecutorError('EXEC_ABORTED', 'aborted', { retryable: false, cause: signal.reason }));
    }, { once: true });
  });
}

/**
 * An expansion as baton recorded it before expansions were compact: every iteration with
 * its spec (`children`), made by the same expandLoop. For tests that old runs still read.
 */
export function legacyExpansion<E extends { type: string }>(event: E, loopSpec: TaskSpec): E {
  if (event.type !== 'TaskExpanded' || 'children' in event) return event;
  const { items, labels, sequential, order_only, nested: _nested, ...rest } = event as unknown as LoopExpansion & { task: string };
  if (loopSpec.type !== 'loop') throw new Error(`${rest.task} is not a loop`);
  return { ...rest, children: expandLoop(rest.task, loopSpec.task, { items, labels, sequential, order_only }) } as unknown as E;
}
