import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExprError, renderShell } from './index.js';

const marker = path.join(tmpdir(), `pwned-${process.pid}-${Math.random().toString(36).slice(2)}`);
const touch = `touch ${marker}`;
/** Random commands create files (`> if`, `cat > EOF`): run them in a folder of their own. */
const scratch = mkdtempSync(path.join(tmpdir(), 'baton-shell-test-'));

/** Values that would run `touch` (or change the command) if they reached the shell as code. */
const HOSTILE = [
  `x; ${touch}`,
  `$(${touch})`,
  `\`${touch}\``,
  `'; ${touch}; '`,
  `"; ${touch}; "`,
  `'"; ${touch}; "'`,
  `\\'; ${touch}; #`,
  `} ; ${touch} ; {`,
  `$(id)`,
  '`id`',
  '"$HOME"',
  "'$HOME'",
  `line1\n${touch}\nline3`,
  'back\\slash\\',
  '\\',
  "it's",
  '',
  '*',
  '~ -n -e ü ✓ \t tab',
  `$'\\x27'; ${touch}`,
];

function run(shell: string, command: string): string {
  return execFileSync(shell, ['-c', command], {
    encoding: 'utf8',
    cwd: scratch,
    env: { PATH: process.env.PATH, HOME: '/nonexistent-home' },
  });
}

function render(template: string, value: string): string {
  return renderShell(template, { contexts: { inputs: { v: value } } });
}

afterEach(() => rmSync(marker, { force: true }));

/** template, and what the shell must print for value v. */
const CONTEXTS: [string, string, (v: string) => string][] = [
  ['unquoted', 'printf %s ${ inputs.v }', v => v],
  ['single quotes', "printf %s 'pre ${ inputs.v } post'", v => `pre ${v} post`],
  ['double quotes', 'printf %s "pre ${ inputs.v } post"', v => `pre ${v} post`],
  ['$( ) in double quotes', 'printf %s "$(printf %sx ${ inputs.v })"', v => `${v}x`],
  ['double-quoted ${X:-}', 'printf %s "${BATON_UNSET_VAR:-${ inputs.v }}"', v => v],
  ['heredoc', 'cat <<EOF\n${ inputs.v }\nEOF', v => `${v}\n`],
  ['quoted heredoc', "cat <<'EOF'\n${ inputs.v }\nEOF", v => `${v}\n`],
  ['comment', 'printf %s ok # ${ inputs.v }', () => 'ok'],
  ['case pattern in $( )', 'printf %s "$(case a in a) printf %s ${ inputs.v };; esac)"', v => v],
  ['after arithmetic with <<', 'x=$(( 1 << 2 ))\nprintf %s ${ inputs.v }', v => v],
];

describe.each(['sh', 'bash'])('renderShell with %s -c', shell => {
  describe.each(CONTEXTS)('%s', (_name, template, expected) => {
    it.each(HOSTILE.map(v => [JSON.stringify(v), v]))('keeps %s as data', (_label, value) => {
      expect(run(shell, render(template, value))).toBe(expected(value));
      expect(existsSync(marker)).toBe(false);
    });
  });

  it('keeps values data in an unquoted ${X:-}, where the shell then splits words', () => {
    for (const value of HOSTILE) {
      run(shell, render('printf %s ${BATON_UNSET_VAR:-${ inputs.v }} >/dev/null', value));
      expect(existsSync(marker)).toBe(false);
    }
    expect(run(shell, render('printf %s ${BATON_UNSET_VAR:-${ inputs.v }}', "a}b'c"))).toBe("a}b'c");
  });

  it('passes ${HOME}-style variables through to the shell', () => {
    expect(run(shell, renderShell('printf %s "${HOME}:${ item }"', { contexts: { item: '$HOME' } }))).toBe('/nonexistent-home:$HOME');
  });
});

describe('renderShell output', () => {
  it('leaves a plain word unquoted, so previews read naturally', () => {
    expect(render('deploy --env ${ inputs.v } --tag app:${ inputs.v }', 'qa-1.2/x')).toBe('deploy --env qa-1.2/x --tag app:qa-1.2/x');
  });

  it('quotes anything else, reserved words, and digits before a redirection', () => {
    expect(render('echo ${ inputs.v }', 'a b')).toBe("echo 'a b'");
    expect(render('echo ${ inputs.v }', '')).toBe("echo ''");
    expect(render('${ inputs.v } true; fi', 'if')).toBe("'if' true; fi");
    expect(render('echo ${ inputs.v }>out', '2')).toBe("echo '2'>out");
    expect(render('echo x${ inputs.v }', '2')).toBe('echo x2');
  });

  it.each(['sh', 'bash'])('puts numbers, and only numbers, into arithmetic (%s)', shell => {
    expect(run(shell, render('printf %s "$(( ${ inputs.v } * 2 ))"', '21'))).toBe('42');
    expect(run(shell, render('printf %s $((${ inputs.v }+1))', '-3'))).toBe('-2');
    for (const value of ['a[$(touch x)]', 'x', '1+1', '']) {
      expect(() => render('echo $(( ${ inputs.v } ))', value)).toThrow(/not a number/);
    }
  });
});

describe('renderShell refuses where no quoting is safe', () => {
  function refusal(template: string, value = 'x'): ExprError {
    try {
      render(template, value);
    } catch (e) {
      if (e instanceof ExprError) return e;
      throw e;
    }
    throw new Error(`rendered ${template} without complaint`);
  }

  it('inside backticks', () => {
    const e = refusal('echo `echo ${ inputs.v }`');
    expect(e.code).toBe('EXPR_EVAL');
    expect(e.col).toBe(12);
    expect(e.message).toContain('backticks');
  });

  it("inside $'...', and after a $'...' holding \\' (sh and bash disagree there)", () => {
    expect(refusal("printf %s $'<${ inputs.v }>'").message).toContain("$'...'");
    expect(refusal("printf %s $'it\\'s' ${ inputs.v }").message).toContain("$'...'");
    expect(render("printf %s $'a\\tb' ${ inputs.v }", 'x y')).toBe("printf %s $'a\\tb' 'x y'");
  });

  it('right after a backslash', () => {
    expect(refusal('echo \\${ inputs.v }').message).toContain('backslash');
  });

  it('a value holding the line that ends its heredoc', () => {
    expect(refusal('cat <<EOF\n${ inputs.v }\nEOF', `a\nEOF\n${touch}`).message).toContain('heredoc');
    expect(refusal('cat <<-EOF\n\t${ inputs.v }\n\tEOF', `a\n\tEOF\n${touch}`).message).toContain('heredoc');
    // The value alone can be the delimiter too, finished by the template's own newline.
    expect(refusal('cat <<EOF\n${ inputs.v }\nEOF\n', 'EOF').code).toBe('EXPR_EVAL');
  });

  it('but renders a command without parts untouched', () => {
    expect(render('echo `date` \\$x "$HOME"', 'unused')).toBe('echo `date` \\$x "$HOME"');
  });
});

describe('renderShell over random commands', () => {
  // Shell syntax fragments around two values; whatever comes out, running it must never
  // execute the values. Seeded, so a failure reproduces.
  const FRAGMENTS = ['echo ', '"', "'", '$(', ')', '`', '${X:-', '}', '\n', '# c ', 'cat <<EOF\n', '\nEOF\n', "cat <<'Q'\n",
    '\nQ\n', '$((1<<2))', ' ; ', ' | ', '\\', "$'", 'case a in a) ', ';; esac', '((', '))', '<<<', '$', 'x', ' ', '${V}',
    '"$(', 'cat <<-EOF\n\t', '\n\tEOF\n', '"${X:-"', "'\\''", '$(( ', ' ))', '<(', '${#', '${!', 'EOF\n', '>', '<', ' 2', 'then '];
  const VALUES = [`;${touch};`, `$(${touch})`, `\`${touch}\``, `';${touch};'`, `";${touch};"`, `\n${touch}\n`,
    `\nEOF\n${touch}\n`, `\nQ\n${touch}\n`, `)\n${touch}\n(`, `}\n${touch}\n`, `\\\n${touch}`, "'", '"', '\\', 'EOF', '2', 'if', 'a-b.c', '-1'];

  it('never lets a value run as code, in sh or bash', () => {
    let seed = 20240601;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const some = () => Array.from({ length: rnd(5) }, () => FRAGMENTS[rnd(FRAGMENTS.length)]).join('');
    let rendered = 0;
    for (let t = 0; t < 150; t++) {
      const template = `${some()}\${ inputs.v }${some()}\${ inputs.w }${some()}`;
      let command: string;
      try {
        command = renderShell(template, { contexts: { inputs: { v: VALUES[rnd(VALUES.length)], w: VALUES[rnd(VALUES.length)] } } });
      } catch (e) {
        expect(e).toBeInstanceOf(ExprError); // refused: fine
        continue;
      }
      rendered++;
      for (const shell of ['sh', 'bash']) {
        try {
          execFileSync(shell, ['-c', command], { stdio: 'ignore', timeout: 5000, cwd: scratch });
        } catch {
          // a syntax error in the random command is fine
        }
        expect(existsSync(marker), `${shell} ran a value as code: ${JSON.stringify(template)} -> ${JSON.stringify(command)}`).toBe(false);
      }
    }
    expect(rendered).toBeGreaterThan(50);
  }, 120_000);
});

