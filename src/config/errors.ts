import { BatonError } from '../observability/errors.js';
import type { Diagnostic } from '../spec/diagnostics.js';

/** Errors of the project configuration (`baton.config.yaml`). */
export class ConfigError extends BatonError {}

/** The config file has problems; each is a diagnostic with `file:line:col`, like a workflow file's. */
export class ConfigInvalidError extends ConfigError {
  readonly diagnostics: Diagnostic[];

  constructor(file: string, diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    super('CONFIG_INVALID', `${file}: ${errors} problem${errors === 1 ? '' : 's'} in the configuration file`, {
      details: { file, diagnostics },
    });
    this.diagnostics = diagnostics;
  }
}
