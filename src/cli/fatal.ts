import { BatonError } from '../observability/errors.js';
import { EXIT } from './exit.js';

/** Prints an error that escaped a command; user errors briefly, bugs with their stack. */
export function reportFatal(err: unknown): number {
  if (err instanceof BatonError) {
    process.stderr.write(`baton: ${err.message} [${err.code}]\n`);
    return EXIT.invalid;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`baton: internal error, please report it:\n${message}\n`);
  return EXIT.failed;
}
