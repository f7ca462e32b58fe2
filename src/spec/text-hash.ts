/**
 * The hash a run records of its workflow file's text (LoadResult.sha256), so that a resume
 * can say the file changed since. Its own module: resume needs it without the parser.
 * node:crypto is loaded on first use (~15 ms): `baton validate` never hashes.
 */
export function workflowTextHash(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
