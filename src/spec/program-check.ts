/**
 * The command-not-on-PATH warning: a typo in the program of a shell task (`npx` vs
 * `nxp`) is found at validate time. Only a warning, never an error: the program may be
 * installed by an earlier task, or exist only on the machine that runs the workflow.
 */
import type { Reporter } from './diagnostics.js';

/** Words that are not programs looked up on PATH: shell builtins and keywords. */
const NOT_PROGRAMS = new Set(
  (
    'cd echo export if then else elif fi for while until do done case esac in function select time ' +
    'test [ [[ true false exit set unset source . exec eval return shift read printf pwd ' +
    'alias unalias type command builtin local declare readonly trap wait kill ulimit umask ' +
    'getopts hash jobs fg bg break continue let ! { ( : times'
  ).split(' '),
);

/** The program a command runs and where it starts, or undefined when that cannot be told. */
export function firstProgram(command: string): { word: string; index: number } | undefined {
  for (const { word, index } of words(command)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    if (NOT_PROGRAMS.has(word)) return undefined;
    if (/[$`"'\\/(){};|&<>*?~]/.test(word)) return undefined;
    return { word, index };
  }
  return undefined;
}

/**
 * The words of a command as the shell splits them (raw, quotes kept), as far as telling
 * the first program needs: a quoted string, a `${ ... }` (an expression may hold spaces:
 * `f="/tmp/${ inputs.host }"` is one word) and a `$( ... )` are each part of one word.
 */
function* words(command: string): Generator<{ word: string; index: number }> {
  let i = 0;
  while (i < command.length) {
    while (i < command.length && /\s/.test(command[i])) i++;
    if (i >= command.length) return;
    const start = i;
    while (i < command.length && !/\s/.test(command[i])) i = skipUnit(command, i);
    yield { word: command.slice(start, i), index: start };
  }
}

/** The index after the unit that starts at `i`: a character, an escape, a quoted string, `${...}` or `$(...)`. */
function skipUnit(s: string, i: number): number {
  const c = s[i];
  if (c === '\\') return Math.min(s.length, i + 2);
  if (c === "'") return closing(s, s.indexOf("'", i + 1));
  if (c === '"') {
    for (let k = i + 1; k < s.length; k = s[k] === '\\' ? k + 2 : k + 1) {
      if (s[k] === '"') return k + 1;
      if (s[k] === '$' && (s[k + 1] === '{' || s[k + 1] === '(')) k = skipUnit(s, k) - 1;
    }
    return s.length;
  }
  if (c === '$' && (s[i + 1] === '{' || s[i + 1] === '(')) {
    const open = s[i + 1];
    const close = open === '{' ? '}' : ')';
    let depth = 0;
    for (let k = i + 1; k < s.length; k++) {
      if (s[k] === open) depth++;
      else if (s[k] === close && --depth === 0) return k + 1;
      else if (s[k] === "'" || s[k] === '"') k = skipUnit(s, k) - 1;
    }
    return s.length;
  }
  return i + 1;
}

function closing(s: string, at: number): number {
  return at < 0 ? s.length : at + 1;
}

/** Warns (once per task) when the command's program is not on PATH. */
export function checkProgram(
  rep: Reporter,
  container: Record<string, unknown>,
  isOnPath: ((program: string) => boolean) | undefined,
  cache: Map<string, boolean>,
): void {
  const command = container.command;
  if (isOnPath === undefined || typeof command !== 'string') return;
  const program = firstProgram(command);
  if (program === undefined) return;
  let found = cache.get(program.word);
  if (found === undefined) {
    found = isOnPath(program.word);
    cache.set(program.word, found);
  }
  if (!found) {
    rep.warning(
      'SPEC_PROGRAM_NOT_FOUND',
      `program '${program.word}' is not on PATH`,
      rep.index.charLoc(container, 'command', program.index),
      'install it, fix the name, or ignore this if an earlier task installs it or the run happens elsewhere',
    );
  }
}
