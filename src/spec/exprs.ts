/**
 * Checking the expressions of a workflow file at load time, so `${ tasks.x.outputs. }`
 * fails at `baton validate` with its line:col rather than halfway through a run. The
 * expression language itself lives in src/expr; this maps its 1-based columns (within
 * the string) to positions in the file.
 */
import { checkCondition, checkTemplate, checkUrl } from '../expr/index.js';
import type { Reporter } from './diagnostics.js';
import type { Key } from './positions.js';

/** A string field that may hold `${ }` parts. */
export function checkTemplateAt(rep: Reporter, container: object, key: Key): void {
  const value = (container as Record<Key, unknown>)[key];
  if (typeof value !== 'string' || !value.includes('${')) return;
  for (const problem of checkTemplate(value)) {
    rep.error('SPEC_EXPR_SYNTAX', problem.message, rep.index.charLoc(container, key, problem.col - 1));
  }
}

/** Every string inside a value (an HTTP body, script inputs), at any depth. */
export function checkTemplatesIn(rep: Reporter, container: object, key: Key): void {
  const value = (container as Record<Key, unknown>)[key];
  if (typeof value === 'string') return checkTemplateAt(rep, container, key);
  if (Array.isArray(value)) value.forEach((_, i) => checkTemplatesIn(rep, value, i));
  else if (typeof value === 'object' && value !== null) for (const k of Object.keys(value)) checkTemplatesIn(rep, value, k);
}

/** A field whose whole string is one expression (`condition`, `if`). */
export function checkConditionAt(rep: Reporter, container: object, key: Key): void {
  const value = (container as Record<Key, unknown>)[key];
  if (typeof value !== 'string') return;
  for (const problem of checkCondition(value)) {
    rep.error('SPEC_EXPR_SYNTAX', problem.message, rep.index.charLoc(container, key, problem.col - 1));
  }
}

/** An HTTP task's `url`: no `${ }` may land in its scheme or host, unless the whole URL is one. */
export function checkUrlAt(rep: Reporter, container: object, key: Key): void {
  const value = (container as Record<Key, unknown>)[key];
  if (typeof value !== 'string' || !value.includes('${')) return;
  for (const problem of checkUrl(value)) {
    rep.error('SPEC_URL_HOST', problem.message, rep.index.charLoc(container, key, problem.col - 1), problem.hint);
  }
}
