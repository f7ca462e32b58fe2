/**
 * What a firing does before any run exists: the trigger's `filter` decides whether it
 * starts one, its `inputs` templates make the run's inputs and its `idempotency_key` the
 * run's key, all reading only what
 * fired it (`trigger`) and the server's environment (`env`). An expression that fails on
 * the data it got (a payload without the field) is the firing's failure, recorded, never
 * the server's.
 */
import { evaluateCondition, renderTemplate } from '../expr/index.js';
import type { Trigger } from '../spec/model.js';
import type { RunTrigger } from '../store/events.js';

export type Decision =
  | { start: true; inputs: Record<string, unknown>; idempotency_key?: string }
  | { start: false; outcome: 'filtered' | 'failed'; reason: string; code?: string };

export function decideFiring(trigger: Trigger, data: RunTrigger, env: Record<string, string | undefined>): Decision {
  const scope = { contexts: { trigger: data, env } };
  const filter = trigger.config.filter;
  if (filter !== undefined) {
    try {
      if (!evaluateCondition(filter, scope)) return { start: false, outcome: 'filtered', reason: `the filter ${filter} is false for it` };
    } catch (err) {
      return { start: false, outcome: 'failed', reason: `the filter ${filter} could not be evaluated: ${(err as Error).message}`, code: (err as { code?: string }).code ?? 'EXPR_EVAL' };
    }
  }
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(trigger.config.inputs ?? {})) {
    try {
      inputs[name] = typeof value === 'string' ? renderTemplate(value, scope) : value;
    } catch (err) {
      return { start: false, outcome: 'failed', reason: `input ${name} (${String(value)}) could not be made: ${(err as Error).message}`, code: (err as { code?: string }).code ?? 'EXPR_EVAL' };
    }
  }
  const key = trigger.config.idempotency_key;
  if (key === undefined) return { start: true, inputs };
  try {
    // Checked as a key when the run is started (RUN_IDEMPOTENCY_KEY_EMPTY...): a failed firing then.
    const made = renderTemplate(key, scope);
    return { start: true, inputs, idempotency_key: typeof made === 'string' ? made : made === null || made === undefined ? '' : JSON.stringify(made) };
  } catch (err) {
    return { start: false, outcome: 'failed', reason: `the idempotency_key ${key} could not be made: ${(err as Error).message}`, code: (err as { code?: string }).code ?? 'EXPR_EVAL' };
  }
}
