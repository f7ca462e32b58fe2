import { describe, expect, it } from 'vitest';
import { ExprError, checkCondition, evaluateCondition, evaluateExpression, usesStatusFunction, type Scope } from './index.js';

const contexts = {
  env: { DEPLOY_ENABLED: 'true', SKIP_TESTS: 'false' },
  tasks: { test: { status: 'succeeded', exit_code: 0 }, lint: { status: 'failed', exit_code: 2 } },
};
const ok: Scope = { contexts };
const failed: Scope = { contexts, status: { success: false, failure: true, cancelled: false } };
const cancelled: Scope = { contexts, status: { success: false, failure: false, cancelled: true } };

describe('evaluateCondition', () => {
  it('accepts the seed form: each ${ x } stands for (x)', () => {
    const seed = "${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'";
    expect(evaluateCondition(seed, ok)).toBe(true);
    expect(evaluateCondition("${tasks.lint.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'", ok)).toBe(false);
    expect(evaluateCondition("${env.SKIP_TESTS} != 'true'", ok)).toBe(true);
  });

  it('accepts a bare expression and a whole-string ${ }', () => {
    expect(evaluateCondition("tasks.test.status == 'succeeded'", ok)).toBe(true);
    expect(evaluateCondition("${ tasks.test.status == 'SUCCEEDED' }", ok)).toBe(true);
    expect(evaluateCondition('${{ tasks.lint.exit_code > 1 }}', ok)).toBe(true);
  });

  it('does not treat ${ inside a string literal as a part', () => {
    expect(evaluateCondition("contains('a ${x} b', '${x}')", ok)).toBe(true);
  });

  it('coerces the result to boolean the GitHub way', () => {
    expect(evaluateCondition("''", ok)).toBe(false);
    expect(evaluateCondition("'false'", ok)).toBe(true);
    expect(evaluateCondition('0', ok)).toBe(false);
    expect(evaluateCondition('NaN', ok)).toBe(false);
    expect(evaluateCondition('null', ok)).toBe(false);
    expect(evaluateCondition('tasks.test', ok)).toBe(true);
    expect(evaluateCondition('tasks.nope', ok)).toBe(false);
  });

  it('means success() && (condition) when no status function is used', () => {
    expect(evaluateCondition('true', failed)).toBe(false);
    expect(evaluateCondition('true', cancelled)).toBe(false);
    // The condition is not even evaluated then, as on GitHub.
    expect(evaluateCondition("format('{9}')", failed)).toBe(false);
  });

  it('reads the status functions from the scope', () => {
    expect(evaluateCondition('always()', failed)).toBe(true);
    expect(evaluateCondition('failure()', failed)).toBe(true);
    expect(evaluateCondition('failure()', ok)).toBe(false);
    expect(evaluateCondition('success()', ok)).toBe(true);
    expect(evaluateCondition('cancelled()', cancelled)).toBe(true);
    expect(evaluateCondition("failure() && ${tasks.lint.exit_code} == 2", failed)).toBe(true);
    expect(evaluateCondition('!cancelled()', failed)).toBe(true);
  });

  it('treats an empty condition as success()', () => {
    expect(evaluateCondition('  ', ok)).toBe(true);
    expect(evaluateCondition('', failed)).toBe(false);
  });

  it('throws ExprError EXPR_SYNTAX at the offending column', () => {
    let err: unknown;
    try {
      evaluateCondition("${tasks.test.exit_code} == && ${env.X} == 'true'", ok);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExprError);
    expect((err as ExprError).code).toBe('EXPR_SYNTAX');
    expect((err as ExprError).col).toBe(28);
  });
});

describe('checkCondition', () => {
  it('accepts valid conditions', () => {
    expect(checkCondition("${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'")).toEqual([]);
    expect(checkCondition('always()')).toEqual([]);
    expect(checkCondition('')).toEqual([]);
  });

  it('points at the offending character of the original string', () => {
    //                            1234567890123456789012345
    expect(checkCondition('${ env.X } == foo')).toMatchObject([{ code: 'EXPR_SYNTAX', col: 15 }]);
    expect(checkCondition("env.X == 'a' &&")).toMatchObject([{ col: 14 }]);
    expect(checkCondition('${ env.X == 1')).toMatchObject([{ col: 1 }]);
    expect(checkCondition("env.X = 'a'")).toMatchObject([{ col: 7 }]);
    expect(checkCondition("env.X == 'a'\n  && nope(1)")).toMatchObject([{ col: 19 }]);
  });
});

describe('usesStatusFunction', () => {
  it('sees the status functions, in any case, and nothing else', () => {
    expect(usesStatusFunction('always()')).toBe(true);
    expect(usesStatusFunction("${ Failure() } && env.X == 'y'")).toBe(true);
    expect(usesStatusFunction('cancelled() || success()')).toBe(true);
    expect(usesStatusFunction("env.success == 'always()'")).toBe(false);
    expect(usesStatusFunction('tasks.always')).toBe(false);
  });
});

describe('evaluateExpression', () => {
  it('reads the whole string as one expression and returns its raw value', () => {
    expect(evaluateExpression("${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'", ok)).toBe(true);
    expect(evaluateExpression('${ tasks.lint.exit_code }', ok)).toBe(2);
    expect(evaluateExpression("format('{0}-{1}', 'a', 1)", ok)).toBe('a-1');
    expect(evaluateExpression('tasks.test', failed)).toEqual({ status: 'succeeded', exit_code: 0 });
  });

  it('throws EXPR_SYNTAX for a template that is not one expression', () => {
    expect(() => evaluateExpression('deploy ${ env.X }', ok)).toThrow(ExprError);
  });
});

