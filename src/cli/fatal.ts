import { errorDocumentText } from '../observability/error-document.js';
import { exitCodeOf, EXIT } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';
import { formatDiagnostic, type Diagnostic } from '../spec/diagnostics.js';
import { visible } from './render/visible.js';

/**
 * Prints an error that escaped a command and returns the exit code the category table
 * gives it: user errors in one line with their code, bugs with their stack. With `json`
 * the error is also printed on stdout as `{"error": {code, category, message, details}}`,
 * so a program that reads the --json output always gets a document.
 */
export function reportFatal(err: unknown, options: { json?: boolean } = {}): number {
  if (isCommanderError(err)) return reportUsage(err, options);
  if (options.json) printJsonError(err);
  if (err instanceof BatonError) {
    // A bad file (baton.config.yaml) lists its problems with file:line:col first.
    const diagnostics = err.details?.diagnostics;
    if (Array.isArray(diagnostics)) for (const d of diagnostics as Diagnostic[]) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    process.stderr.write(`baton: ${visible(err.message, { lines: true })} [${err.code}]\n`);
    return exitCodeOf(err);
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`baton: internal error, please report it:\n${visible(message, { lines: true })}\n`);
  return exitCodeOf(err);
}

/**
 * Commander has printed its message already (unknown option or command, a missing
 * argument, a bad choice); `--help` and `--version` end here too, with exit code 0.
 */
function reportUsage(err: CommanderErrorShape, options: { json?: boolean }): number {
  if (err.exitCode === 0) return EXIT.ok;
  if (options.json) printJsonError(new BatonError('CLI_USAGE', err.message.replace(/^error: /, ''), { details: { commander: err.code } }));
  return exitCodeOf('CLI_USAGE');
}

/** What commander throws under exitOverride(): codes such as `commander.unknownOption`. */
interface CommanderErrorShape {
  code: string;
  exitCode: number;
  message: string;
}

// By shape rather than `instanceof CommanderError`: the light `validate` bundle shares this
// file and must not load commander for it.
function isCommanderError(err: unknown): err is CommanderErrorShape {
  const e = err as Partial<CommanderErrorShape> | undefined;
  return err instanceof Error && typeof e?.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number';
}

/**
 * `{"error": {code, category, message, details}}` on stdout, for commands run with --json;
 * on one line, so it reads as JSON and as JSON Lines (`baton logs --json`) alike.
 */
export function printJsonError(err: unknown): void {
  process.stdout.write(errorDocumentText(err) + '\n');
}
