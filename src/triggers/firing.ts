/**
 * What a firing does before any run exists: the trigger's `filter` decides whether it
 * starts one, and its `inputs` templates make the run's inputs, both reading only what
 * fired it (`trigger`) and the server's environment (`env`). An expression that fails on
 * the data it got (a payload without the field) is the firing's failure, recorded, never
 * the server's.
 */
import { evaluateCondition, renderTemplate } from '../expr/index.js';
import type { Trigger } from '../spec/model.js';
import type { RunTrigger } from '../store/events.js';

export type Decision = { start: true; inputs: Record<string, unknown> } | { start: false; outcome: 'filtered' | 'failed'; reason: string; code?: string };

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
  return { start: true, inputs };
}
