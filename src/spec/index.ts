/**
 * The spec layer: reads workflow files (canonical YAML/JSON, and the `phases` and
 * `workflow.stages` formats through importers), checks them with file:line:col
 * diagnostics, and produces the normalized model (model.ts) every other layer uses.
 * Pure: no I/O except reading the file it is given, no clock.
 */
export type * from './model.js';
export type { Diagnostic } from './diagnostics.js';
export { formatDiagnostic } from './diagnostics.js';
export type { LoadOptions, LoadResult } from './load.js';
export { MAX_FILE_BYTES, loadWorkflowFile, parseWorkflow } from './load.js';
export { workflowTextHash } from './text-hash.js';
export { parseDuration } from './duration.js';
export { workflowJsonSchema, workflowJsonSchemaText } from './schema.js';
export { toDot, toMermaid } from './render-graph.js';
export { SpecError, WorkflowInvalidError } from './errors.js';
export { MAX_TASK_DEPTH } from './normalize-task.js';
