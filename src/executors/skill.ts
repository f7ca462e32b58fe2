import type { SkillTask } from '../spec/model.js';
import { ExecutorError } from './errors.js';
import type { Executor } from './types.js';

/**
 * A `uses:` task: the skill runs as a child run (the engine's io.runSkill finds it, checks
 * the inputs against what it declares, and runs it in this run's folder); its outputs are
 * this task's outputs. A failed skill fails the task, and the task's retry policy retries
 * the same child run.
 */
export const skill: Executor<SkillTask> = {
  async run(task, io, signal) {
    if (!io.runSkill) {
      throw new ExecutorError('EXEC_NO_SKILLS', `task ${io.taskKey} uses skill ${task.skill}, and nothing here can run skills`, { retryable: false });
    }
    const { runId, outputs } = await io.runSkill(task.skill, task.with, signal);
    io.stdout(`skill ${task.skill}: run ${runId} succeeded\n`);
    return { outputs };
  },
};
