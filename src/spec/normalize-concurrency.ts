/**
 * A workflow's `concurrency:` (docs/decisions/0014-run-concurrency.md): how much of it
 * runs at once. The mapping form says it for runs (`key`, `limit`, `on_conflict`: runs
 * sharing the key's value beyond the limit are queued, skipped, or cancel the running ones)
 * and for the tasks of a run (`tasks`). The older integer form, `concurrency: 4`, still
 * means tasks at once; it is accepted with a warning that says how to write it now.
 *
 * The key is a template evaluated when a run is started, before anything of it runs: it
 * may read the run's `inputs` and the `workflow`, nothing that exists only later.
 */
import { inspectTemplate } from '../expr/index.js';
import type { Reporter } from './diagnostics.js';
import type { RunConcurrency, Workflow } from './model.js';
import type { Loc } from './positions.js';
import { isMap, num, str, type RawMap } from './raw.js';
import { didYouMean } from './suggest.js';

const ON_CONFLICT: readonly RunConcurrency['on_conflict'][] = ['queue', 'skip', 'cancel-running'];
const KEY_CONTEXTS = new Set(['inputs', 'workflow']);
const RUN_FIELDS = ['key', 'limit', 'on_conflict'];

/** Sets `workflow.concurrency` (tasks) and `workflow.run_concurrency` from the file; `warnOnNumber` for the canonical format only. */
export function concurrencyOf(raw: RawMap, rep: Reporter, workflow: Workflow, warnOnNumber: boolean): void {
  const value = raw.concurrency;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) workflow.concurrency = value;
    if (warnOnNumber && Number.isInteger(value) && value >= 1) {
      rep.warning(
        'SPEC_CONCURRENCY_NUMBER',
        `\`concurrency: ${value}\` limits the tasks of a run; \`concurrency:\` as a mapping also limits how many runs of the workflow run at once`,
        rep.value(raw, 'concurrency'),
        `write \`concurrency: {tasks: ${value}}\` (the same meaning), and add key/limit/on_conflict to limit runs`,
      );
    }
    return;
  }
  if (!isMap(value)) return;
  const tasks = num(value, 'tasks');
  if (tasks !== undefined) workflow.concurrency = tasks;
  // Run concurrency when it says anything about runs, or nothing at all (`concurrency: {}`: one run at a time).
  if (!RUN_FIELDS.some((field) => Object.hasOwn(value, field)) && Object.keys(value).length > 0) return;
  const key = str(value, 'key') ?? workflow.name;
  const onConflict = str(value, 'on_conflict');
  workflow.run_concurrency = {
    key,
    limit: num(value, 'limit') ?? 1,
    on_conflict: ON_CONFLICT.includes(onConflict as RunConcurrency['on_conflict']) ? (onConflict as RunConcurrency['on_conflict']) : 'queue',
  };
  if (typeof value.key === 'string') checkKey(value, rep, workflow);
}

/** The key's expressions: syntax, and reads of what exists when a run is started (its inputs, the workflow). */
function checkKey(container: RawMap, rep: Reporter, workflow: Workflow): void {
  const text = container.key as string;
  if (text.trim() === '') {
    rep.error('SPEC_INVALID_VALUE', 'the concurrency key cannot be empty', rep.value(container, 'key'), 'leave it out for the workflow\'s name, or write e.g. key: "deploy-${ inputs.env }"');
    return;
  }
  const seen = inspectTemplate(text, KEY_CONTEXTS);
  const at = (offset: number): Loc => rep.index.charLoc(container, 'key', offset);
  for (const p of seen.problems) rep.error('SPEC_EXPR_SYNTAX', p.message, at(p.col - 1), p.hint);
  const inputs = Object.keys(workflow.inputs);
  for (const read of seen.reads) {
    const name = read.name.toLowerCase();
    if (!KEY_CONTEXTS.has(name)) {
      rep.error('SPEC_CONTEXT_UNAVAILABLE', `the concurrency key is evaluated when a run is started, before anything of it runs: it cannot read \`${read.name}\``, at(read.at), 'it may read `inputs` and `workflow` (name, version)');
      continue;
    }
    const first = read.path[0];
    if (first === undefined) continue;
    if (name === 'inputs' && !inputs.some((input) => input.toLowerCase() === first.name.toLowerCase())) {
      rep.error('SPEC_UNKNOWN_INPUT', `input '${first.name}' is not declared${didYouMean(first.name, inputs)}`, at(first.at), inputs.length === 0 ? `declare it under \`inputs:\`` : `declared: ${inputs.join(', ')}`);
    }
    if (name === 'workflow' && !['name', 'version'].includes(first.name.toLowerCase())) {
      rep.error('SPEC_UNKNOWN_PROPERTY', `workflow has no '${first.name}'${didYouMean(first.name, ['name', 'version'])}`, at(first.at), 'workflow has: name, version');
    }
  }
}
