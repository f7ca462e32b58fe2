const WORKFLOW_FILE = /\.(ya?ml|json)$/i;
const CODE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/i;

/**
 * What a file given to `baton run`, `baton validate` or as a skill's entry is: a workflow
 * file (.yaml, .yml, .json), a TypeScript/JavaScript workflow (`js`), or any other file as
 * a script (`script`: bash, python, or whatever its #! line names).
 */
export function fileKind(file: string): 'workflow' | 'js' | 'script' {
  if (WORKFLOW_FILE.test(file)) return 'workflow';
  return CODE_FILE.test(file) ? 'js' : 'script';
}

/** A code file's kind, or undefined for a workflow file. */
export function codeKind(file: string): 'js' | 'script' | undefined {
  const kind = fileKind(file);
  return kind === 'workflow' ? undefined : kind;
}
