/**
 * A workflow task: `workflow: deploy.yaml` with `inputs: {...}`, another file run as a child
 * run. Here: the fields alone. The child file itself (that it exists, is a valid workflow,
 * takes these inputs, and does not lead back to this file) is checked by child-workflows.ts
 * once the whole file is read, since that needs the file's folder and other files.
 */
import type { TaskBase, WorkflowTask } from './model.js';
import { missing, type LeafContext } from './normalize-leaf.js';
import { has, isMap, str } from './raw.js';
import type { RawMap } from './raw.js';

/** The fields of a workflow task (besides those of every task). */
export const WORKFLOW_TASK_FIELDS = ['workflow', 'inputs'];

export function workflowTask(base: TaskBase, raw: RawMap, ctx: LeafContext): WorkflowTask {
  const { rep } = ctx;
  const file = str(raw, 'workflow');
  if (!has(raw, 'workflow')) missing(rep, raw, 'a workflow task', 'workflow', "the file to run as a child run, relative to this file's folder: workflow: deploy.yaml");
  if (file !== undefined && file.trim() === '') rep.error('SPEC_INVALID_VALUE', 'the child workflow file is empty', rep.value(raw, 'workflow'), 'e.g. workflow: deploy.yaml');
  if (file?.includes('${')) {
    rep.error(
      'SPEC_INVALID_VALUE',
      "a workflow task's file cannot hold a template: it is checked when this file is loaded, and a resumed run must find the same child",
      rep.value(raw, 'workflow'),
      'name the file; choose between files with a conditional task, and pass what differs as inputs',
    );
  }
  const inputs = isMap(raw.inputs) ? { ...(raw.inputs as RawMap) } : {};
  ctx.exprs.deep(raw, 'inputs');
  return { ...base, type: 'workflow', workflow: file ?? '', inputs };
}
