import type { WorkflowTask } from '../spec/model.js';
import { ExecutorError } from './errors.js';
import type { Executor } from './types.js';

/**
 * A `workflow:` task: the file runs as a child run (the engine's io.runWorkflow finds it
 * relative to this run's folder, checks the inputs against what it declares, and goes on
 * with the same child after a crash); the child's `outputs:` are this task's outputs. A
 * failed child fails the task with RUN_CHILD_FAILED, not retried (the child had its own
 * retries) unless the task's `retry_on` names it; a retry goes on with the same child run.
 */
export const workflow: Executor<WorkflowTask> = {
  async run(task, io, signal) {
    if (!io.runWorkflow) {
      throw new ExecutorError('EXEC_NO_CHILD_RUNS', `task ${io.taskKey} runs ${task.workflow} as a child run, and nothing here can start child runs`, { retryable: false });
    }
    const { runId, outputs } = await io.runWorkflow(task.workflow, task.inputs, signal);
    io.stdout(`workflow ${task.workflow}: run ${runId} succeeded\n`);
    return { outputs };
  },
};
