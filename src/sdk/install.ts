import { SDK_GLOBAL } from './exports.js';
import { workflow } from './workflow.js';

/** The object `import ... from 'baton'` gives a workflow file (see exports.ts: SDK_EXPORTS lists its fields). */
export const sdk = { workflow };

/** Puts the SDK where a workflow's bundle looks for it; before any workflow code is imported. */
export function installSdk(): void {
  (globalThis as Record<symbol, unknown>)[SDK_GLOBAL] = sdk;
}
