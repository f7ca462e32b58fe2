/**
 * Exit codes of every baton command. They live in the error category table
 * (src/observability/error-categories.ts), with the category of every error code, so a
 * command that stops on an error exits with `exitCodeOf(err)`, never a code of its own.
 */
export { EXIT, exitCodeOf } from '../observability/error-categories.js';
