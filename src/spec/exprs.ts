/**
 * Checking the expressions of a workflow file at load time, so `${ tasks.x.outputs. }`
 * fails at `baton validate` with its line:col rather than halfway through a run. The
 * expression language itself lives in src/expr; this maps its 1-based columns (within
 * the string) to positions in the file.
 *
 * While a file is normalized, every field that holds expressions is recorded as a site,
 * with the task it belongs to. They are checked once the graph is known (expr-check.ts),
 * because what an expression may read depends on it: `item` only inside a loop,
 * `trigger` only in a callback, `tasks.x` only after x.
 */
import { checkCondition, checkUrl } from '../expr/index.js';
import type { Reporter } from './diagnostics.js';
import type { Key } from './positions.js';
import type { RawMap } from './raw.js';

/**
 * template: `${ }` parts in text; command: the same, in a shell command; outputs: a
 * template that also sees `result`; run-outputs: a template of the workflow's `outputs:`,
 * evaluated once every task has ended; condition: one expression.
 */
export type SiteKind = 'template' | 'command' | 'outputs' | 'run-outputs' | 'condition';

export interface ExprSite {
  /** The task the field belongs to; undefined for the workflow's own `environment`. */
  task?: RawMap;
  container: object;
  key: Key;
  kind: SiteKind;
}

export class ExprSites {
  readonly list: ExprSite[] = [];
  /** The task being normalized (normalizeTask sets and restores it). */
  task: RawMap | undefined;

  /** A string field that may hold `${ }` parts. */
  template(container: object, key: Key, kind: Exclude<SiteKind, 'condition'> = 'template'): void {
    const value = (container as Record<Key, unknown>)[key];
    if (typeof value === 'string' && value.includes('${')) this.add(container, key, kind);
  }

  /** Every string inside a value (an HTTP body, script inputs), at any depth. */
  deep(container: object, key: Key): void {
    const value = (container as Record<Key, unknown>)[key];
    if (typeof value === 'string') this.template(container, key);
    else if (Array.isArray(value)) value.forEach((_, i) => this.deep(value, i));
    else if (typeof value === 'object' && value !== null) for (const k of Object.keys(value)) this.deep(value, k);
  }

  /** A field whose whole string is one expression (`condition`, `if`). */
  condition(container: object, key: Key): void {
    if (typeof (container as Record<Key, unknown>)[key] === 'string') this.add(container, key, 'condition');
  }

  private add(container: object, key: Key, kind: SiteKind): void {
    const site: ExprSite = { container, key, kind };
    if (this.task !== undefined) site.task = this.task;
    this.list.push(site);
  }
}

/** The syntax of a condition alone, for importers that check one before it becomes a task's. */
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
