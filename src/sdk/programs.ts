import { ProgramFailure, type StepHost, type StepProgram } from '../engine/steps/program.js';
import { recordable } from '../engine/steps/results.js';
import { stepResultLimit } from '../engine/steps/results.js';
import type { RunState } from '../engine/state.js';
import type { CodeSnapshot } from '../store/events.js';
import { makeContext, summaryOf } from './context.js';
import { Compensations } from './compensations.js';
import { loadSnapshot, type CodeSnapshot as JsSnapshot } from './load.js';
import { installSdk } from './install.js';
import type { AnyWorkflow } from './workflow.js';

/**
 * The program a code run's snapshot runs (DriveOptions.programs): a TypeScript/JavaScript
 * workflow's function, or a script run with `baton step` inside it.
 */
export async function programFor(code: CodeSnapshot, state: RunState): Promise<StepProgram> {
  if (code.language === 'script') {
    const { scriptProgram } = await import('./script-program.js');
    return scriptProgram(code, state);
  }
  installSdk();
  const definition = (await loadSnapshot(code as JsSnapshot)) as AnyWorkflow;
  return functionProgram(definition, state);
}

/** A workflow function as a program: called with the ctx and the run's inputs. */
export function functionProgram(definition: AnyWorkflow, state: RunState): StepProgram {
  const limit = stepResultLimit(state.plan.workflow);
  return {
    async run(host: StepHost) {
      const compensations = new Compensations();
      const ctx = makeContext(host, { env: host.taskEnv, cwd: host.baseDir }, compensations);
      let value: unknown;
      try {
        value = await definition.fn(ctx, host.inputs as never);
      } catch (error) {
        // The function failed: what its steps did is undone first, then the run fails as it would have.
        await compensations.undo(host, error);
        throw error;
      }
      const summary = summaryOf(value);
      if (summary !== undefined) return { summary };
      const checked = recordable('the workflow function', value, limit);
      if (!checked.ok) throw new ProgramFailure({ code: checked.error.code, message: checked.error.message });
      return checked.value === undefined ? {} : { result: checked.value };
    },
  };
}
