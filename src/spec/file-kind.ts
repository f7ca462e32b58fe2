const WORKFLOW_FILE = /\.(ya?ml|json)$/i;
const CODE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/i;

/**
 * What a file given to `baton run` or `baton validate` is: a workflow file (.yaml, .yml,
 * .json: undefined), a TypeScript/JavaScript workflow (`js`), or any other file as a script
 * (`script`: bash, python, or whatever its #! line names).
 */
export function codeKind(file: string): 'js' | 'script' | undefined {
  if (WORKFLOW_FILE.test(file)) return undefined;
  return CODE_FILE.test(file) ? 'js' : 'script';
}
