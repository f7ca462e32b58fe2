import { describe, expect, it } from 'vitest';
import { ExprError, checkTemplate, inspectCondition, inspectTemplate, referencesContext, renderShell, renderTemplate, type Scope } from './index.js';
import { scanTemplate } from './template.js';

const scope: Scope = {
  contexts: {
    env: { DEPLOY_ENABLED: 'true', BUILD_NUMBER: '42', EMPTY: '' },
    inputs: { count: 3, ratio: 1.5, tags: ['a', 'b'], cfg: { region: 'eu', n: null } },
    tasks: { build: { status: 'succeeded', exit_code: 0, outputs: { version: '1.2.3' } } },
    item: 'staging',
    index: 0,
  },
};

function thrown(fn: () => unknown): ExprError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw new Error(`expected an ExprError, got ${String(e)}`);
  }
  throw new Error('expected an ExprError, nothing was thrown');
}

describe('renderTemplate', () => {
  it('interpolates parts into a string', () => {
    expect(renderTemplate('myapp:${env.BUILD_NUMBER}', scope)).toBe('myapp:42');
    expect(renderTemplate('deploy --env ${ item } (#${index})', scope)).toBe('deploy --env staging (#0)');
  });

  it('returns the raw value when the whole string is one part', () => {
    expect(renderTemplate('${ inputs.count }', scope)).toBe(3);
    expect(renderTemplate('${inputs.tags}', scope)).toEqual(['a', 'b']);
    expect(renderTemplate('${ inputs.cfg }', scope)).toEqual({ region: 'eu', n: null });
    expect(renderTemplate('${ env.MISSING }', scope)).toBeNull();
    expect(renderTemplate("${ fromJSON('{\"a\":[1,2]}') }", scope)).toEqual({ a: [1, 2] });
  });

  it('coerces values inside a string the GitHub way', () => {
    expect(renderTemplate('[${ env.MISSING }]', scope)).toBe('[]');
    expect(renderTemplate('r=${ inputs.ratio } ok=${ true }', scope)).toBe('r=1.5 ok=true');
    expect(renderTemplate('n=${ 0.1 }', scope)).toBe('n=0.1');
    expect(renderTemplate('cfg=${ inputs.cfg }', scope)).toBe('cfg={\n  "region": "eu",\n  "n": null\n}');
    expect(renderTemplate('tags=${ inputs.tags }', scope)).toBe('tags=[\n  "a",\n  "b"\n]');
  });

  it('finds the end of a part past braces inside string literals', () => {
    expect(renderTemplate("v${ format('{0}}}{1}', item, '}') }!", scope)).toBe('vstaging}}!');
    expect(renderTemplate("${ 'it''s ''quoted''' }", scope)).toBe("it's 'quoted'");
  });

  it('accepts GitHub-style ${{ }}', () => {
    expect(renderTemplate('v=${{ tasks.build.outputs.version }}', scope)).toBe('v=1.2.3');
  });

  it('leaves shell expansions that name no context as text', () => {
    const text = 'cd ${HOME} && echo ${PATH:-/bin} ${#ARR} ${1} ${!REF} ${ENV} ${TASKS}';
    expect(renderTemplate(text, scope)).toBe(text);
    expect(checkTemplate(text)).toEqual([]);
    expect(renderTemplate('${HOME}/${item}', scope)).toBe('${HOME}/staging');
    expect(renderTemplate('${FOO:-${ item }}', scope)).toBe('${FOO:-staging}');
  });

  it('treats functions and literals as expressions', () => {
    expect(renderTemplate("${contains('abc', 'B')}", scope)).toBe(true);
    expect(renderTemplate('${true}', scope)).toBe(true);
    expect(renderTemplate('${ 1 == 1 }', scope)).toBe(true);
  });

  it('turns $${ into a literal ${', () => {
    expect(renderTemplate('echo $${ env.X } $${HOME}', scope)).toBe('echo ${ env.X } ${HOME}');
    expect(renderTemplate('$${item}', scope)).toBe('${item}');
  });

  it('is case-insensitive for keys and string comparison', () => {
    expect(renderTemplate("${ env.deploy_enabled == 'TRUE' }", scope)).toBe(true);
    expect(renderTemplate('${ tasks.Build.Outputs.VERSION }', scope)).toBe('1.2.3');
    // Only lower-case context names start a part, so ${ENV} or ${INDEX} stay shell variables.
    expect(renderTemplate('${ INDEX }', scope)).toBe('${ INDEX }');
  });

  it('returns strings without parts untouched', () => {
    expect(renderTemplate('plain text $ and } and {', scope)).toBe('plain text $ and } and {');
  });
});

describe('template errors', () => {
  it('reports the column of a syntax error within the template', () => {
    //                       123456789012345678
    const [p] = checkTemplate('echo ${ env.X == }');
    expect(p).toMatchObject({ code: 'EXPR_SYNTAX', col: 15 });
    expect(p.message).toContain('echo ${ env.X == }');
    expect(checkTemplate('ab ${ 1 2 }')[0].col).toBe(9);
    expect(checkTemplate('ab ${{ 1 2 }}')[0].col).toBe(10);
  });

  it('reports unknown names inside an expression with the known contexts', () => {
    const [p] = checkTemplate('x ${ env.A == secret.B }');
    expect(p.col).toBe(15);
    expect(p.message).toContain("Unrecognized named-value: 'secret'");
    expect(p.message).toContain('secrets');
  });

  it('reports unterminated and empty parts', () => {
    expect(checkTemplate('a ${ env.X')).toMatchObject([{ code: 'EXPR_SYNTAX', col: 3 }]);
    expect(checkTemplate("a ${ format('}') ")).toMatchObject([{ col: 3 }]);
    expect(checkTemplate('a ${ }')).toMatchObject([{ col: 3 }]);
  });

  it('shows a bounded excerpt around the problem, not a whole 100 KB expression', () => {
    const long = `echo \${ 'a' == ${'1 + '.repeat(25_000)}}`;
    const [tooLong] = checkTemplate(long);
    expect(tooLong.message.length).toBeLessThan(600);
    expect(tooLong.message).toContain(`(${long.length} characters)`);
    // A 20,000-character token that is the problem, and a problem far into the text.
    const token = `x \${ 1 '${'b'.repeat(20_000)}' }`;
    expect(checkTemplate(token)[0].message.length).toBeLessThan(600);
    const far = `${'y'.repeat(50_000)} \${ 1 2 } ${'z'.repeat(50_000)}`;
    const [p] = checkTemplate(far);
    expect(p.col).toBe(50_007);
    expect(p.message.length).toBeLessThan(600);
    expect(p.message).toContain('…yyy');
    expect(p.message).toContain('${ 1 2 } zzz');
    expect(thrown(() => renderTemplate(far, scope)).message.length).toBeLessThan(600);
  });

  it('throws ExprError with the same column when rendering', () => {
    const e = thrown(() => renderTemplate('echo ${ env.X == }', scope));
    expect(e.code).toBe('EXPR_SYNTAX');
    expect(e.col).toBe(15);
  });

  it('throws EXPR_EVAL naming the expression when evaluation fails', () => {
    const e = thrown(() => renderTemplate("x ${ format('{1}', item) }", scope));
    expect(e.code).toBe('EXPR_EVAL');
    expect(e.message).toContain("format('{1}', item)");
    expect(e.message).toContain('references more arguments');
  });
});

describe('referencesContext', () => {
  it('finds contexts used in parts', () => {
    expect(referencesContext('npm run deploy -- --env ${item}', 'item')).toBe(true);
    expect(referencesContext('${ tasks.build.outputs.version }', 'tasks')).toBe(true);
    expect(referencesContext('${ env.item }', 'item')).toBe(false);
    expect(referencesContext('deploy the item', 'item')).toBe(false);
    expect(referencesContext('${HOME}', 'item')).toBe(false);
  });

  it('reads a bare condition too', () => {
    expect(referencesContext("item == 'qa'", 'item')).toBe(true);
    expect(referencesContext("${ tasks.test.exit_code } == 0 && ${env.X} == 'true'", 'env')).toBe(true);
  });
});

describe('a bare ${name} is an expression only where the task has that context', () => {
  const outside: Scope = { contexts: { env: {}, inputs: {}, tasks: {}, run: { id: 'r1' }, workflow: { name: 'w' }, secrets: {} } };
  const inLoop: Scope = { contexts: { ...outside.contexts, item: 'qa', index: 2 } };

  it('leaves shell variables named like contexts to the shell', () => {
    const command = 'result=hello; index=1; echo "${result} ${index} ${item} ${run} ${env} ${inputs}"';
    expect(renderShell(command, outside)).toBe(command);
    expect(renderTemplate('${result}', outside)).toBe('${result}');
    expect(checkTemplate(command, new Set(['env']))).toEqual([]);
  });

  it('reads item and index inside a loop, spaced or not', () => {
    expect(renderShell('echo ${item} ${ index } ${run}', inLoop)).toBe('echo qa 2 ${run}');
    expect(renderTemplate('${item}', inLoop)).toBe('qa');
  });

  it('spaced, ${ name } is no shell syntax: any context the task has is read', () => {
    expect(renderTemplate('${ inputs }', { contexts: { ...outside.contexts, inputs: { a: 1 } } })).toEqual({ a: 1 });
    expect(renderTemplate('${ run }', outside)).toEqual({ id: 'r1' });
    expect(renderTemplate('${ item }', outside)).toBe('${ item }');
  });

  it('reads result where the scope has it (outputs templates)', () => {
    expect(renderTemplate('${result}', { contexts: { ...outside.contexts, result: { v: 1 } } })).toEqual({ v: 1 });
  });

  it('a context with a property or an operator is always an expression', () => {
    expect(renderShell('echo ${run.id} ${ run.id }', outside)).toBe('echo r1 r1');
    expect(renderTemplate('${item.name}', outside)).toBeNull();
    expect(renderTemplate('${ true }', outside)).toBe(true);
  });

  it('scanTemplate lists where each ${ left for the shell starts', () => {
    expect(scanTemplate('a ${HOME} ${ env.X } $${ x } ${result}', new Set()).shell).toEqual([2, 29]);
    expect(scanTemplate('${result}', new Set(['result'])).shell).toEqual([]);
  });
});

describe('inspectTemplate and inspectCondition', () => {
  it('list the contexts read, with their first two properties and offsets', () => {
    const src = "echo ${ input.release } ${ tasks.build.outputs.v } ${ inputs['relase'] }";
    const seen = inspectTemplate(src);
    expect(seen.problems).toEqual([]);
    expect(seen.reads).toEqual([
      { name: 'tasks', at: 27, path: [{ name: 'build', at: 33 }, { name: 'outputs', at: 39 }] },
      { name: 'inputs', at: 54, path: [{ name: 'relase', at: 62 }] },
    ]);
    expect(src.slice(62, 68)).toBe('relase');
    // `input` is no context, so that part is the shell's; `baton validate` looks at those.
    expect(seen.shell).toEqual([5]);
  });

  it('look inside function arguments, index expressions and filters', () => {
    const names = inspectCondition("contains(tasks.*.status, 'x') && env[inputs.k] == ${ item }").reads.map((r) => `${r.name}:${r.path.map((p) => p.name).join('.')}`);
    expect(names).toEqual(['tasks:', 'env:', 'inputs:k', 'item:']);
  });

  it('report bare parts and syntax problems', () => {
    // `${ index }` with spaces says the context is meant: no warning needed, so not listed.
    expect(inspectTemplate('a ${item} ${ index } b', new Set(['item', 'index'])).bare).toEqual([{ name: 'item', at: 4 }]);
    expect(inspectTemplate('a ${ 1 + }').problems).toMatchObject([{ col: 8 }]);
  });
});
