import type { Diagnostic } from '../../spec/index.js';
import { BatonError } from '../../observability/errors.js';

/** What `baton validate` reports of a code file: whether it loads, and what it declares. */
export interface CodeCheck {
  file: string;
  valid: boolean;
  diagnostics: Diagnostic[];
  /** What it is: its workflow's name and inputs, or the script's interpreter. */
  workflow?: { name: string; inputs: Record<string, { type: string; required: boolean; default?: unknown }> };
  interpreter?: string[];
}

/**
 * Loads a TypeScript/JavaScript workflow as `baton run` would (bundles it, runs its top
 * level, reads its workflow()), or reads a script's #! line; runs no step.
 */
export async function checkCode(file: string, kind: 'js' | 'script'): Promise<CodeCheck> {
  const { loadCode } = await import('../../sdk/load-code.js');
  try {
    const { workflow, code } = await loadCode(file, kind);
    if (kind === 'script') return { file, valid: true, diagnostics: [], interpreter: code.interpreter };
    const inputs = Object.fromEntries(Object.entries(workflow.inputs).map(([name, spec]) => [name, { type: spec.type, required: spec.required, ...(spec.default === undefined ? {} : { default: spec.default }) }]));
    return { file, valid: true, diagnostics: [], workflow: { name: workflow.name, inputs } };
  } catch (err) {
    if (!(err instanceof BatonError)) throw err;
    const details = err.details ?? {};
    const listed = Array.isArray(details.diagnostics) ? (details.diagnostics as Diagnostic[]) : undefined;
    const at = { file: typeof details.file === 'string' ? details.file : file, line: Number(details.line ?? 0), col: Number(details.col ?? 0) };
    return { file, valid: false, diagnostics: listed ?? [{ severity: 'error', code: err.code, message: err.message, ...at }] };
  }
}
