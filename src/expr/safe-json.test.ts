import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJson } from './safe-json.js';

describe('parseJson', () => {
  it('parses JSON up to the depth limit', () => {
    const ok = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(Array.isArray(parseJson(ok, 'x'))).toBe(true);
    expect(parseJson('{"a": "[[[[{{{{", "b": [1, {"c": "\\\\\\"["}]}', 'x')).toEqual({ a: '[[[[{{{{', b: [1, { c: '\\"[' }] });
  });

  it('refuses deeper or longer JSON with a coded error naming where it came from', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(() => parseJson(deep, 'the response body')).toThrow(expect.objectContaining({ code: 'DATA_TOO_DEEP', message: expect.stringMatching(/^the response body holds JSON nested more than 128 levels/) }));
    expect(() => parseJson('"xxxxxxxxxx"', 'input "j"', { maxLength: 5 })).toThrow(expect.objectContaining({ code: 'DATA_TOO_LARGE' }));
  });

  it('leaves syntax errors to JSON.parse', () => {
    expect(() => parseJson('{"a": ', 'x')).toThrow(SyntaxError);
  });

  it('counts brackets outside strings only', () => {
    expect(jsonDepth('["]]]]", {"a": [1]}]')).toBe(3);
    expect(jsonDepth('"[[["')).toBe(0);
  });
});
