import { BatonError } from '../observability/errors.js';
import type { Diagnostic } from './diagnostics.js';

/** Errors the spec layer raises (most problems are returned as diagnostics instead). */
export class SpecError extends BatonError {}

/** Thrown by callers that need a valid workflow (`baton run`) and got diagnostics instead. */
export class WorkflowInvalidError extends SpecError {
  readonly diagnostics: Diagnostic[];

  constructor(file: string, diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super('SPEC_INVALID', `${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the workflow file`, {
      details: { file, diagnostics },
    });
    this.diagnostics = diagnostics;
  }
}
