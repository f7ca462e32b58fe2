import { describe, expect, it } from 'vitest';
import { checkInputs, initialValues, type InputSpec } from './input-checks.js';

const INPUTS: Record<string, InputSpec> = {
  release: { type: 'string', required: true },
  replicas: { type: 'number', default: 3, required: false },
  dry_run: { type: 'boolean', default: false, required: false },
  labels: { type: 'json', default: { team: 'ops' }, required: false },
  note: { type: 'string', required: false },
};

describe("the start form's checks", () => {
  it('fills each field with its default, as text', () => {
    expect(initialValues(INPUTS)).toEqual({ release: '', replicas: '3', dry_run: 'false', labels: '{"team":"ops"}', note: '' });
  });

  it('refuses a missing required input and bad values as the server does', () => {
    const { errors } = checkInputs(INPUTS, { release: '', replicas: 'many', dry_run: 'maybe', labels: '{oops' });
    expect(errors).toEqual({
      release: 'input "release" is required',
      replicas: 'input "replicas" must be a number, got "many"',
      dry_run: 'input "dry_run" must be true or false, got "maybe"',
      labels: 'input "labels" must be JSON, got "{oops"',
    });
  });

  it('sends typed values, and leaves empty fields out so defaults apply', () => {
    expect(checkInputs(INPUTS, { release: '1.4.2', replicas: '5', dry_run: 'true', labels: '["a"]', note: '' })).toEqual({ inputs: { release: '1.4.2', replicas: 5, dry_run: true, labels: ['a'] }, errors: {} });
    expect(checkInputs(INPUTS, { release: 'x', replicas: '', dry_run: '', labels: '' })).toEqual({ inputs: { release: 'x' }, errors: {} });
  });

  it('takes a required input with a default as given when left empty', () => {
    expect(checkInputs({ who: { type: 'string', required: true, default: 'world' } }, { who: '' })).toEqual({ inputs: {}, errors: {} });
  });
});
