/**
 * Running a skill as a child run, for every caller inside a run: a workflow's `uses:`
 * task, a code run's `ctx.skill`, a script's `baton skill run`. The skill runs in its
 * caller's folder with BATON_SKILL_DIR (and, for a script entry, INPUT_<NAME>) set; its
 * run is a child run with its own events, and what it gives back is its result (a
 * workflow's `outputs:`, what a TypeScript entry returned).
 */
import { BatonError } from '../observability/errors.js';
import { skillEnvironment } from '../skills/resolve.js';
import { runChild, type ChildRunResult } from './child-run.js';
import type { DriveOptions } from './runner.js';

export interface SkillCall {
  /** The child run's id, chosen by the caller and kept across attempts. */
  childId: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The caller's folder: the skill's tasks run there. */
  baseDir: string;
  signal: AbortSignal;
}

export async function runSkill(options: DriveOptions, call: SkillCall): Promise<ChildRunResult> {
  if (!options.skills) {
    throw new BatonError('SKILL_NOT_FOUND', `no skill ${call.name}: this run was started without a skill catalog`, { details: { skill: call.name } });
  }
  const runnable = options.skills.resolve(call.name);
  const env = skillEnvironment(runnable, call.inputs);
  const inputs = runnable.kind === 'script' ? {} : call.inputs;
  try {
    return await runChild(options, call.childId, { file: runnable.entry, kind: runnable.kind, baseDir: call.baseDir, env, label: `skill ${call.name}` }, inputs, call.signal);
  } catch (err) {
    // Inputs the skill does not take are found before its run starts: say whose inputs they are.
    if (err instanceof BatonError && err.code.startsWith('INPUT_')) err.message = `skill ${call.name}: ${err.message}`;
    throw err;
  }
}

/** What a skill gives its caller: its result when that is a mapping, else `{ result }` (none: `{}`). */
export function skillOutputs(child: ChildRunResult): Record<string, unknown> {
  const result = child.result;
  if (result === undefined) return {};
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) return result as Record<string, unknown>;
  return { result };
}
