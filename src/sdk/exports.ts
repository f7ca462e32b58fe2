/**
 * What a workflow file sees when it imports 'baton'. The file is bundled (load.ts) with
 * 'baton' replaced by a small module that reads the running baton's SDK object from a
 * global, so `import { workflow } from 'baton'` works wherever the file lives, with no
 * local install. That module's export list is generated from SDK_EXPORTS: keep it equal
 * to the names of the SDK object's fields.
 */

/** The global the running baton puts its SDK object on before it imports a workflow's code. */
export const SDK_GLOBAL = Symbol.for('baton.sdk');

/** The brand `workflow()` puts on what it returns; how the loader knows a default export is a workflow. */
export const WORKFLOW_BRAND = Symbol.for('baton.workflow');

/** The named exports of 'baton' inside a workflow file (besides the default, the whole SDK object). */
export const SDK_EXPORTS = ['workflow'] as const;
