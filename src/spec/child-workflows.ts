/**
 * The child files of workflow tasks (`workflow: deploy.yaml`), checked when the parent is
 * loaded, so a missing or broken child is found by `baton validate` rather than halfway
 * through a run: the file must exist; a workflow file must be valid (its own diagnostics
 * are reported too, with its own path), take the inputs given and not lead back to a file
 * being loaded (a workflow that runs itself, directly or through others, would never end).
 *
 * Loading is a depth-first walk over files: `chain` holds the files being loaded (the
 * outermost first), a file met again on it is recursion; a file loaded once is taken from
 * `loaded` after that, which is enough to find every cycle (a finished file cannot lead
 * back to one still on the chain, or it would have found it).
 *
 * TypeScript workflows and scripts as children are only checked to exist: their code is
 * checked when the child run starts.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic, Reporter } from './diagnostics.js';
import { fileKind } from './file-kind.js';
import type { LoadResult } from './load.js';
import type { WorkflowTask } from './model.js';
import type { TaskNode } from './normalize-task.js';
import { checkGivenInputs } from './normalize-skill.js';
import { isMap } from './raw.js';

/** Where the files of one load are read from, and what was read. */
export interface ChildFiles {
  /** The folder child paths are relative to: the workflow file's, as it was given (relative to the current folder, or absolute). */
  dir: string;
  /** Absolute paths of the files being loaded, the outermost first and this one last. */
  chain: readonly string[];
  /** Reads and checks a child file (`file` as diagnostics show it), itself loaded with `chain` (load.ts). */
  load(file: string, chain: readonly string[]): LoadResult;
  /** Files loaded so far in this load, by absolute path. */
  loaded: Map<string, LoadResult>;
}

/**
 * Checks the child file of every workflow task among `nodes`, reporting at its `workflow:`
 * field; returns the child files' own errors, to list after the parent's.
 */
export function checkChildWorkflows(nodes: readonly TaskNode[], rep: Reporter, files: ChildFiles): Diagnostic[] {
  const theirs: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const node of nodes) {
    const spec = node.spec;
    if (spec.type !== 'workflow' || spec.workflow.trim() === '' || spec.workflow.includes('${')) continue;
    const file = path.resolve(files.dir, spec.workflow);
    const shown = path.join(files.dir, spec.workflow);
    const at = rep.value(node.raw, 'workflow');
    const cycle = files.chain.indexOf(file);
    if (cycle >= 0) {
      const loop = [...files.chain.slice(cycle), file].map((f) => path.basename(f)).join(' → ');
      const itself = cycle === files.chain.length - 1;
      rep.error(
        'SPEC_WORKFLOW_RECURSION',
        itself ? `task ${spec.id} runs this workflow itself: each run would start another, without end` : `task ${spec.id} runs ${spec.workflow}, which leads back to a workflow that runs it (${loop}): the runs would never end`,
        at,
        'a workflow cannot run itself, directly or through others; move what both need into a third file that each runs',
      );
      continue;
    }
    if (fileKind(file) !== 'workflow') {
      if (!isFile(file)) notFound(spec, file, rep, at);
      continue;
    }
    let result = files.loaded.get(file);
    if (result === undefined) {
      result = files.load(shown, [...files.chain, file]);
      files.loaded.set(file, result);
    }
    if (result.workflow === undefined) {
      if (result.diagnostics.some((d) => d.code === 'SPEC_READ' && d.file === shown) && !isFile(file)) {
        notFound(spec, file, rep, at);
        continue;
      }
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      rep.error(
        'SPEC_WORKFLOW_INVALID',
        `task ${spec.id} runs ${spec.workflow}, which is not a valid workflow: ${errors.length} problem${errors.length === 1 ? '' : 's'}, listed with its path`,
        at,
        `fix them in ${shown}`,
      );
      // A file run by several tasks (or reached twice) is listed once.
      if (!seen.has(file)) theirs.push(...errors);
      seen.add(file);
      continue;
    }
    const given = isMap(node.raw.inputs) ? node.raw.inputs : {};
    checkGivenInputs({ what: `workflow ${spec.workflow}`, code: 'SPEC_WORKFLOW_INPUT', declared: result.workflow.inputs, given, raw: node.raw, field: 'inputs', anchor: 'workflow' }, rep);
  }
  return theirs;
}

function notFound(spec: WorkflowTask, file: string, rep: Reporter, at: ReturnType<Reporter['value']>): void {
  rep.error('SPEC_WORKFLOW_NOT_FOUND', `task ${spec.id} runs ${spec.workflow}: there is no such file (${file})`, at, "the path is relative to this workflow file's folder");
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
