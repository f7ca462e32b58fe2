import { BatonError } from '../observability/errors.js';
import { formatDiagnostic, type Diagnostic } from '../spec/diagnostics.js';
import { EXIT } from './exit.js';

/** Prints an error that escaped a command; user errors briefly, bugs with their stack. */
export function reportFatal(err: unknown): number {
  if (err instanceof BatonError) {
    // A bad file (baton.config.yaml) lists its problems with file:line:col first.
    const diagnostics = err.details?.diagnostics;
    if (Array.isArray(diagnostics)) for (const d of diagnostics as Diagnostic[]) process.stderr.write(formatDiagnostic(d) + '\n');
    process.stderr.write(`baton: ${err.message} [${err.code}]\n`);
    return EXIT.invalid;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`baton: internal error, please report it:\n${message}\n`);
  return EXIT.failed;
}
