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
  const re = /\S+/g;
  for (let match = re.exec(command); match !== null; match = re.exec(command)) {
    const word = match[0];
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    if (NOT_PROGRAMS.has(word)) return undefined;
    if (/[$`"'\\/(){};|&<>*?~]/.test(word)) return undefined;
    return { word, index: match.index };
  }
  return undefined;
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
