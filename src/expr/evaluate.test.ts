import { describe, expect, it } from 'vitest';
import { ExprError, KNOWN_CONTEXTS, evaluate, renderTemplate, type Scope } from './index.js';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('evaluate', () => {
  const scope: Scope = { contexts: { env: { A: 'x' }, inputs: { list: [1, 2, 3] }, run: { id: '01J' } } };

  it('returns plain JS values', () => {
    expect(evaluate("format('{0}-{1}', env.a, run.id)", scope)).toBe('x-01J');
    expect(evaluate('inputs.list[1]', scope)).toBe(2);
    expect(evaluate('inputs.list.*', scope)).toEqual([1, 2, 3]);
    expect(evaluate("join(inputs.list, '+')", scope)).toBe('1+2+3');
    expect(evaluate('', scope)).toBeNull();
  });

  it('exposes the status functions, defaulting to success', () => {
    expect(evaluate('success() && !failure() && always() && !cancelled()', scope)).toBe(true);
    expect(evaluate('failure()', { ...scope, status: { success: false, failure: true, cancelled: false } })).toBe(true);
  });

  it('knows the baton contexts and reads a missing one as null', () => {
    expect(KNOWN_CONTEXTS).toEqual(expect.arrayContaining(['env', 'inputs', 'tasks', 'item', 'index', 'run', 'workflow', 'result', 'secrets']));
    expect(evaluate('item', scope)).toBeNull();
    expect(evaluate('secrets.TOKEN', scope)).toBeNull();
  });

  it('rejects unknown names with EXPR_SYNTAX', () => {
    const e = errorOf(() => evaluate('nope.x', scope));
    expect(e).toBeInstanceOf(ExprError);
    expect(e).toMatchObject({ code: 'EXPR_SYNTAX', col: 1 });
    expect(errorOf(() => evaluate('nosuch(1)', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
  });

  it('unescapes every doubled quote in a string literal', () => {
    expect(evaluate("'a''b''c'", scope)).toBe("a'b'c");
  });
});

describe('no way into prototypes', () => {
  const scope: Scope = { contexts: { env: { A: 'x' }, tasks: {} } };

  it.each([
    'env.__proto__',
    'env.constructor',
    "env['__proto__']",
    "env['constructor']",
    "env['constructor']['name']",
    'env.__proto__.toString',
    'tasks.hasOwnProperty',
    "fromJSON('{}').constructor",
    "fromJSON('{}')['__proto__']",
  ])('%s is null', expr => {
    expect(evaluate(expr, scope)).toBeNull();
  });

  it('keeps an own key named constructor, which the library would drop', () => {
    expect(evaluate("fromJSON('{\"constructor\": 1}').constructor", scope)).toBe(1);
  });

  it('does not call inherited members as functions', () => {
    expect(errorOf(() => evaluate('constructor(1)', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
    expect(errorOf(() => evaluate('__proto__()', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
    expect(errorOf(() => evaluate('toString()', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
  });

  it('does not treat a scope prototype member as a context', () => {
    expect(errorOf(() => evaluate('toString', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
    expect(errorOf(() => evaluate('__proto__', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
  });
});

describe('lazy conversion', () => {
  const N = 100_000;
  const tasks: Record<string, unknown> = {};
  for (let i = 0; i < N; i++) tasks[`t${i}`] = { status: i % 2 ? 'succeeded' : 'failed', exit_code: i % 2 ? 0 : 1, outputs: { n: i } };

  it('reads one task of 100,000 without enumerating the rest', () => {
    let enumerations = 0;
    const watched = new Proxy(tasks, {
      ownKeys(target) {
        enumerations++;
        return Reflect.ownKeys(target);
      },
    });
    const scope: Scope = { contexts: { tasks: watched } };
    expect(evaluate("tasks.t99999.status == 'succeeded' && tasks.t4.outputs.n == 4", scope)).toBe(true);
    expect(renderTemplate('exit=${ tasks.t12345.exit_code }', scope)).toBe('exit=0');
    expect(enumerations).toBe(0);
  });

  it('keeps reference equality for the same object', () => {
    expect(evaluate('tasks.t1 == tasks.t1', { contexts: { tasks } })).toBe(true);
    expect(evaluate('tasks.t1 == tasks.t3', { contexts: { tasks } })).toBe(false);
  });

  it('still sees everything when asked to', () => {
    const scope: Scope = { contexts: { tasks } };
    expect((evaluate('tasks.*.exit_code', scope) as unknown[]).length).toBe(N);
    expect(evaluate("contains(tasks.*.status, 'failed')", scope)).toBe(true);
  });

  it('(benchmark note) costs microseconds per evaluation', () => {
    const scope: Scope = { contexts: { tasks, env: { X: '1' } } };
    const expr = "tasks.t77777.exit_code == 0 && env.X == '1'";
    expect(evaluate(expr, scope)).toBe(true);
    const runs = 10_000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) evaluate(expr, scope);
    const perCall = ((performance.now() - start) / runs) * 1000;
    console.log(`[bench] evaluate over ${N} tasks: ${perCall.toFixed(1)} µs per call (${runs} runs)`);
  });
});

describe('hostile input', () => {
  const scope: Scope = { contexts: { env: { A: 'x' } } };

  it('rejects 200 nested parentheses with ExprError', () => {
    const deep = '('.repeat(200) + '1' + ')'.repeat(200);
    const bare = errorOf(() => evaluate(deep, scope)) as ExprError;
    expect(bare).toMatchObject({ code: 'EXPR_SYNTAX' });
    expect(bare.message).toContain('Exceeded max expression depth');
    expect(errorOf(() => renderTemplate('${ ' + deep + ' }', scope))).toMatchObject({ code: 'EXPR_SYNTAX', col: bare.col + 3 });
  });

  it('rejects a 1 MB expression with ExprError, quickly and with a short message', () => {
    const huge = "'" + 'a'.repeat(1_000_000) + "'";
    const e = errorOf(() => evaluate(huge, scope));
    expect(e).toMatchObject({ code: 'EXPR_SYNTAX' });
    expect((e as Error).message.length).toBeLessThan(1000);
    expect(errorOf(() => evaluate('1 == 1 && '.repeat(100_000) + 'true', scope))).toMatchObject({ code: 'EXPR_SYNTAX' });
  });

  it('renders a 1 MB template of many small parts', () => {
    const template = 'x ${ env.A } '.repeat(80_000);
    expect((renderTemplate(template, scope) as string).length).toBe(80_000 * 4);
  });

  it('turns deep or self-referencing data into ExprError, not a crash', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const deepJson = '['.repeat(100_000) + ']'.repeat(100_000);
    const results = [
      errorOf(() => evaluate('toJSON(inputs.c)', { contexts: { inputs: { c: cyclic } } })),
      errorOf(() => renderTemplate('c=${ inputs.c }', { contexts: { inputs: { c: cyclic } } })),
      errorOf(() => evaluate(`toJSON(fromJSON(env.J))`, { contexts: { env: { J: deepJson } } })),
    ];
    for (const r of results) {
      if (r !== undefined) expect(r).toBeInstanceOf(ExprError);
    }
    expect(results[0]).toMatchObject({ code: 'EXPR_EVAL' });
    expect(evaluate('inputs.c.self.self.self.name', { contexts: { inputs: { c: cyclic } } })).toBe('loop');
  });

  it.each(['', '$', '${', '${ ', '}', "${ '", "'", '(', ')', '!', '&&', '==', '.', '[', ']', ',', 'a.', '1..2', '\u0000', '${{'])(
    'never throws anything but ExprError for %j',
    src => {
      for (const fn of [() => evaluate(src, scope), () => renderTemplate(src, scope)]) {
        const e = errorOf(fn);
        if (e !== undefined) expect(e).toBeInstanceOf(ExprError);
      }
    },
  );
});
