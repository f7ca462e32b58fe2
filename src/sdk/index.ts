/**
 * The `baton` package as a workflow file imports it: `import { workflow } from 'baton'`.
 * Under `baton run` the import is the running baton's SDK (load.ts puts it there); these
 * are its types, and the same `workflow()` for code that imports the package directly
 * (a unit test of a workflow's definition, an editor).
 */
export { workflow } from './workflow.js';
export type { AnyWorkflow, InputDecl, InputsOf, RetryOption, WorkflowDefinition, WorkflowFunction, WorkflowMeta } from './workflow.js';
export type { ApprovalAnswer, Context, MapOptions, ProgressReport, StepContext, StepOptions, Summary } from './context.js';
export type { ChildRunResult } from '../engine/child-run.js';
export type { RunTrigger } from '../store/events.js';
export type { CommandResult, Sh } from './sh.js';
export type { Http, HttpRequest, HttpResponse } from './http.js';
