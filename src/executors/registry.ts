/**
 * Which executor runs which task type: one literal map, no registration by import side
 * effect. Composite types (parallel, loop, conditional) are the engine's, not here.
 */
import type { LeafTask } from '../spec/model.js';
import { createDataProcessorExecutor, dataProcessor } from './data-processor.js';
import { createDockerExecutor, docker } from './docker.js';
import { ExecutorError } from './errors.js';
import { http } from './http.js';
import { noop } from './noop.js';
import { notify } from './notify.js';
import type { ProcessOptions } from './process-task.js';
import { publishExecutor as publish } from './publish.js';
import { createScriptExecutor, script, type ScriptOptions } from './script.js';
import { createShellExecutor, shell } from './shell.js';
import { skill } from './skill.js';
import { sql } from './sql.js';
import { sleep } from './sleep.js';
import { workflow } from './workflow.js';
import type { Executor } from './types.js';

export type LeafType = LeafTask['type'];
export type Executors = { [K in LeafType]: Executor<Extract<LeafTask, { type: K }>> };

/** Executors with every option at its default. */
export const executors: Executors = { shell, http, script, noop, sleep, skill, publish, sql, docker, data_processor: dataProcessor, workflow, notify };

/** Executors with options, e.g. from baton.config.yaml. */
export function createExecutors(options: ProcessOptions & ScriptOptions = {}): Executors {
  return { shell: createShellExecutor(options), http, script: createScriptExecutor(options), noop, sleep, skill, publish, sql, docker: createDockerExecutor(options), data_processor: createDataProcessorExecutor(options), workflow, notify };
}

export function executorFor<K extends LeafType>(type: K, from?: Executors): Executors[K];
export function executorFor(type: string, from?: Executors): Executor;
export function executorFor(type: string, from: Executors = executors): Executor {
  if (!Object.hasOwn(from, type)) {
    throw new ExecutorError('EXEC_UNKNOWN_TYPE', `no executor for task type "${type}"; known: ${Object.keys(from).join(', ')}`, {
      retryable: false,
    });
  }
  return from[type as LeafType] as Executor;
}
