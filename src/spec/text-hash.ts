import { createHash } from 'node:crypto';

/**
 * The hash a run records of its workflow file's text (LoadResult.sha256), so that a resume
 * can say the file changed since. Its own module: resume needs it without the parser.
 */
export function workflowTextHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
