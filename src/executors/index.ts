/** The executors layer's public face, for the engine and the CLI. */
export type { Executor, ExecutorResult, TaskIO } from './types.js';
export { ExecutorError, isRetryable, toTaskError, type ExecutorErrorCode } from './errors.js';
export { createExecutors, executorFor, executors, type Executors, type LeafType } from './registry.js';
export { KILL_GRACE_MS, killAllProcessGroups } from './process-group.js';
export type { ProcessOptions } from './process-task.js';
export type { ScriptOptions } from './script.js';
