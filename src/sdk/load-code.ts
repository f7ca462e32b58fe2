import type { Workflow } from '../spec/model.js';
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
  return { workflow: describeWorkflow(workflow as never, snapshot.file), code: snapshot };
}
