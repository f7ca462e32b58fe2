import type { InputSpec } from '../spec/model.js';
import { EngineError } from './errors.js';
import { DataError, parseJson } from '../expr/safe-json.js';

/**
 * Checks and converts the inputs given to a run (`--input key=value` gives strings)
 * against the workflow's `inputs:` declarations. Unknown names and missing required
 * inputs are errors that list what the workflow accepts.
 */
export function resolveInputs(declared: Record<string, InputSpec>, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(declared);
  for (const name of Object.keys(given)) {
    if (!(name in declared)) {
      const known = names.length > 0 ? `it accepts: ${names.join(', ')}` : 'it declares no inputs';
      throw new EngineError('INPUT_UNKNOWN', `unknown input "${name}": ${known}`, { details: { input: name } });
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (name in given) out[name] = convert(name, spec, given[name]);
    else if (spec.default !== undefined) out[name] = spec.default;
    else if (spec.required) {
      throw new EngineError('INPUT_MISSING', `input "${name}" is required: pass --input ${name}=<${spec.type}>`, {
        details: { input: name },
      });
    }
  }
  return out;
}

function convert(name: string, spec: InputSpec, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const bad = (what: string) =>
    new EngineError('INPUT_TYPE', `input "${name}" must be ${what}, got "${value}"`, { details: { input: name } });
  switch (spec.type) {
    case 'string':
      return value;
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || Number.isNaN(n)) throw bad('a number');
      return n;
    }
    case 'boolean':
      if (/^(true|yes|1)$/i.test(value)) return true;
      if (/^(false|no|0)$/i.test(value)) return false;
      throw bad('true or false');
    case 'json':
      try {
        return parseJson(value, `input "${name}"`);
      } catch (err) {
        if (err instanceof DataError) throw new EngineError('INPUT_TYPE', err.message, { cause: err, details: { input: name } });
        throw bad('JSON');
      }
  }
}
