/**
 * The start form's values, checked as the server checks them (src/engine/inputs.ts,
 * resolveInputs): an input left empty is not given, so its default applies, and a required
 * one without a default is INPUT_MISSING; a number must parse as one, a boolean is true or
 * false, JSON must parse. What passes is sent already typed. The server checks again, and
 * its errors are shown as it says them.
 */
export interface InputSpec {
  type: 'string' | 'number' | 'boolean' | 'json';
  description?: string;
  default?: unknown;
  required?: boolean;
}

/** What each field holds: its text as typed (a boolean's select: '', 'true' or 'false'). */
export type FieldValues = Record<string, string>;

/** The fields filled with each input's default (the person sees what will be used). */
export function initialValues(inputs: Record<string, InputSpec>): FieldValues {
  const out: FieldValues = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const value = spec.default;
    out[name] = value === undefined || value === null ? '' : spec.type === 'json' || typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

export interface Checked {
  /** The inputs to send, typed; only those given. */
  inputs: Record<string, unknown>;
  /** Per input, what is wrong with it, in the server's words. */
  errors: Record<string, string>;
}

export function checkInputs(inputs: Record<string, InputSpec>, values: FieldValues): Checked {
  const out: Checked = { inputs: {}, errors: {} };
  for (const [name, spec] of Object.entries(inputs)) {
    const text = values[name] ?? '';
    if (text === '') {
      if (spec.default === undefined && spec.required) out.errors[name] = `input "${name}" is required`;
      continue;
    }
    const bad = (what: string) => (out.errors[name] = `input "${name}" must be ${what}, got "${text}"`);
    switch (spec.type) {
      case 'number': {
        const n = Number(text);
        if (text.trim() === '' || Number.isNaN(n)) bad('a number');
        else out.inputs[name] = n;
        break;
      }
      case 'boolean':
        if (/^(true|yes|1)$/i.test(text)) out.inputs[name] = true;
        else if (/^(false|no|0)$/i.test(text)) out.inputs[name] = false;
        else bad('true or false');
        break;
      case 'json':
        try {
          out.inputs[name] = JSON.parse(text) as unknown;
        } catch {
          bad('JSON');
        }
        break;
      default:
        out.inputs[name] = text;
    }
  }
  return out;
}
