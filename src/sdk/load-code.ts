import type { Workflow } from '../spec/model.js';
import type { WorkflowMeta } from './workflow.js';
import type { CodeSnapshot } from '../store/events.js';

/** What a code file is: its workflow (name, inputs) and the snapshot its run keeps. */
export interface LoadedCode {
  workflow: Workflow;
  code: CodeSnapshot;
}

/**
 * Loads a code file for a run, or for `baton validate`: a TypeScript/JavaScript workflow
 * (bundled, its top level run, its workflow() read), or a script (its text and what runs
 * it). Throws CodeLoadError.
 */
export async function loadCode(file: string, kind: 'js' | 'script'): Promise<LoadedCode> {
  if (kind === 'script') {
    const { scriptSnapshot, scriptWorkflow } = await import('./script-program.js');
    const code = scriptSnapshot(file);
    return { workflow: scriptWorkflow(code), code };
  }
  const { installSdk } = await import('./install.js');
  installSdk();
  const { loadWorkflowCode } = await import('./load.js');
  const { describeWorkflow } = await import('./workflow.js');
  const { snapshot, workflow } = await loadWorkflowCode(file);
  const described = describeWorkflow(workflow as never, snapshot.file);
  const triggers = (workflow as unknown as { meta: WorkflowMeta }).meta.triggers;
  if (triggers !== undefined) described.triggers = await checkTriggers(triggers, described.name, snapshot.file);
  return { workflow: described, code: snapshot };
}

/**
 * A code workflow's `triggers`, checked by the rules of a workflow file's (each field's
 * shape, filters and input templates), reported as CODE_BAD_WORKFLOW.
 */
async function checkTriggers(triggers: unknown, name: string, file: string): Promise<Workflow['triggers']> {
  const { parseWorkflow } = await import('../spec/load.js');
  const text = JSON.stringify({ name, triggers, tasks: [{ id: 'code', type: 'noop' }] }, null, 1);
  const result = parseWorkflow(text, file);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.workflow) {
    const { BatonError } = await import('../observability/errors.js');
    const first = errors[0];
    throw new BatonError('CODE_BAD_WORKFLOW', `workflow ${name}: triggers: ${first ? `${first.message} [${first.code}]` : 'not valid'}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { details: { file, field: 'triggers' } });
  }
  return result.workflow.triggers;
}
