/**
 * A file's workflow as a run needs it, whatever the file is: a workflow file (checked,
 * `uses:` against the project's skills and `resources` against its pools when given), or code (a TypeScript workflow, a
 * script) loaded with its snapshot. For every front end that loads workflows by file:
 * `baton serve`'s folder, `baton triggers test`.
 */
import { loadCode } from '../sdk/load-code.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { fileKind } from '../spec/file-kind.js';
import { loadWorkflowFile } from '../spec/load.js';
import type { CircuitPolicy, Workflow } from '../spec/model.js';
import type { SkillLookup } from '../spec/normalize-skill.js';
import type { CodeSnapshot } from '../store/events.js';

/** A workflow loaded from its file. */
export interface LoadedWorkflow {
  name: string;
  /** As given (absolute when the caller's is). */
  file: string;
  workflow: Workflow;
  code?: CodeSnapshot;
  sha256: string;
}

/** A file that does not load, and why: the count and the first problem, and all of them. */
export interface WorkflowProblem {
  file: string;
  message: string;
  diagnostics?: Diagnostic[];
}

/** Loads `file`; a workflow file with errors is a problem, code that does not load throws (CodeLoadError). */
export async function loadDefinition(file: string, skills?: SkillLookup, pools?: Readonly<Record<string, number>>, circuits?: Readonly<Record<string, CircuitPolicy>>): Promise<LoadedWorkflow | { problem: WorkflowProblem }> {
  const kind = fileKind(file);
  if (kind !== 'workflow') {
    const { workflow, code } = await loadCode(file, kind);
    return { name: workflow.name, file, workflow, code, sha256: code.sha256 };
  }
  const loaded = await loadWorkflowFile(file, { ...(skills ? { skills } : {}), ...(pools ? { pools } : {}), ...(circuits ? { circuits } : {}) });
  if (!loaded.workflow) {
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const message = `${errors.length} problem${errors.length === 1 ? '' : 's'}${first ? `, first at line ${first.line}:${first.col}: ${first.message} [${first.code}]` : ''}`;
    return { problem: { file, message, diagnostics: loaded.diagnostics } };
  }
  return { name: loaded.workflow.name, file, workflow: loaded.workflow, sha256: loaded.sha256! };
}
