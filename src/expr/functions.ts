/**
 * Functions beyond the library's: the four status functions (they read the scope's
 * status, so they are built per evaluation) and a fromJSON that yields lazy,
 * own-property-only data (the library's Dictionary silently drops keys such as
 * `constructor`, because its key index is a plain object).
 */
import { data, wellKnownFunctions } from '@actions/expressions';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import type { Converter } from './lazy-data.js';
import { DataError, parseJson } from './safe-json.js';

export interface RunStatus {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export const DEFAULT_STATUS: RunStatus = { success: true, failure: false, cancelled: false };

export const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'] as const;

/**
 * Told to the parser so `success()` and friends parse; they take no arguments. `mul(a, b)`
 * is the one arithmetic the language has (GitHub's has none): alert conditions compare a
 * duration with a multiple of another (`execution.duration > workflow.expected_duration *
 * 2`, which alerts read as `mul(...)`: observability/notifications/condition.ts).
 */
export const EXTENSION_FUNCTIONS: FunctionInfo[] = [...STATUS_FUNCTIONS.map(name => ({ name, minArgs: 0, maxArgs: 0 })), { name: 'mul', minArgs: 2, maxArgs: 2 }];

/** Every callable name, lower-cased: the library's (contains, format, case...) and ours. */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(wellKnownFunctions).map(n => n.toLowerCase()),
  ...STATUS_FUNCTIONS,
  'mul',
]);

export function buildFunctions(status: RunStatus, conv: Converter): Map<string, FunctionDefinition> {
  const flag = (name: string, value: () => boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value()),
  });
  const fns = new Map<string, FunctionDefinition>();
  for (const [name, f] of Object.entries(wellKnownFunctions)) fns.set(name.toLowerCase(), f);
  fns.set('success', flag('success', () => status.success));
  fns.set('failure', flag('failure', () => status.failure));
  fns.set('cancelled', flag('cancelled', () => status.cancelled));
  fns.set('always', flag('always', () => true));
  fns.set('mul', {
    name: 'mul',
    minArgs: 2,
    maxArgs: 2,
    // As the comparisons coerce: null is 0, a numeric string its number, anything else NaN.
    call: (a, b) => new data.NumberData(asNumber(a) * asNumber(b)),
  });
  fns.set('fromjson', {
    name: 'fromJSON',
    minArgs: 1,
    maxArgs: 1,
    call: (...args) => {
      const text = args[0].coerceString();
      if (text.trim() === '') throw new Error('empty input');
      let parsed: unknown;
      try {
        parsed = parseJson(text, 'the text given to fromJSON');
      } catch (e) {
        if (e instanceof DataError) throw e;
        throw new Error(`Error parsing JSON when evaluating fromJson: ${(e as Error).message}`, { cause: e });
      }
      return conv.toData(parsed);
    },
  });
  return fns;
}

function asNumber(value: data.ExpressionData): number {
  const text = value.coerceString();
  return text.trim() === '' ? 0 : Number(text);
}
