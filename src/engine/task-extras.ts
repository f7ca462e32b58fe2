/**
 * What an attempt's io gets beyond the basics, by its task type: the child runs of skill
 * and workflow tasks, the notification channels of notify tasks, the workflow's name. One
 * place for both where attempts run: in the process driving the run (attempts.ts), and in
 * a worker that took a work item (work-runner.ts).
 */
import path from 'node:path';
import type { TaskIO } from '../executors/types.js';
import type { LeafTask, NotifyChannel } from '../spec/model.js';
import { taskChildRunId } from '../store/ids.js';
import type { DriveOptions } from './runner.js';
import { runSkill, skillOutputs } from './skill-run.js';
import type { RunState } from './state.js';
import { runWorkflowTask } from './workflow-run.js';
import type { RunTracing } from '../observability/tracing/run-tracing.js';

type ChildOutcome = Promise<{ runId: string; outputs: Record<string, unknown> }>;

export interface TaskExtras {
  /** Runs a skill task's skill as a child run; absent: skill tasks fail with EXEC_NO_SKILLS. */
  runSkill?: (key: string, name: string, inputs: Record<string, unknown>, baseDir: string, signal: AbortSignal) => ChildOutcome;
  /** Runs a workflow task's file as a child run; absent: workflow tasks fail with EXEC_NO_CHILD_RUNS. */
  runWorkflow?: (key: string, file: string, inputs: Record<string, unknown>, baseDir: string, signal: AbortSignal) => ChildOutcome;
  /** Named notification channels (baton.config.yaml); absent: none. */
  channels?: Readonly<Record<string, NotifyChannel>>;
  /** Tracing: every attempt is handed its traceparent; absent: none. */
  tracing?: RunTracing;
}

/**
 * The child runs of a workflow file's tasks, driven with `options` (the store, the owner,
 * how code is loaded and skills found). A task's child has an id derived from the task's
 * (taskChildRunId): every attempt, and a resume, go on with the same child.
 */
export function childRunners(options: DriveOptions, state: RunState): Pick<TaskExtras, 'runSkill' | 'runWorkflow'> {
  const childId = (key: string) => taskChildRunId(state.runId, key, state.task(key).reopens ?? 0);
  return {
    runSkill: async (key, name, inputs, baseDir, signal) => {
      const child = await runSkill(options, { childId: childId(key), name, inputs, baseDir, signal });
      return { runId: child.run_id, outputs: skillOutputs(child) };
    },
    runWorkflow: async (key, file, inputs, baseDir, signal) => {
      const child = await runWorkflowTask(options, { childId: childId(key), file, inputs, baseDir, signal });
      return { runId: child.run_id, outputs: skillOutputs(child) };
    },
  };
}

/** Gives `io` what task `key` of type `spec.type` needs of `extras`. */
export function equip(io: TaskIO, key: string, spec: LeafTask, extras: TaskExtras, workflow: string): void {
  io.workflow = workflow;
  if (extras.tracing !== undefined) io.traceparent = extras.tracing.traceparent(io.runId, key, io.attempt);
  switch (spec.type) {
    case 'skill': {
      const run = extras.runSkill;
      if (run === undefined) return;
      // The skill's tasks run in the caller's folder, or its `cwd`.
      const baseDir = spec.cwd ? path.resolve(io.baseDir, spec.cwd) : io.baseDir;
      io.runSkill = (name, inputs, signal) => run(key, name, inputs, baseDir, signal);
      return;
    }
    case 'workflow': {
      const run = extras.runWorkflow;
      if (run !== undefined) io.runWorkflow = (file, inputs, signal) => run(key, file, inputs, io.baseDir, signal);
      return;
    }
    case 'notify':
      if (extras.channels !== undefined) io.channels = extras.channels;
      return;
  }
}
