import { existsSync, readFileSync } from 'node:fs';
import type { RunState } from '../engine/state.js';
import { workflowTextHash } from '../spec/text-hash.js';

/**
 * A stored run goes on with its workflow (or code) as it was when it started: what to tell
 * whoever resumes it when the file has changed or gone since, or nothing. For every front
 * end that continues runs (`baton resume`, `baton serve`).
 */
export function sourceChangeNote(state: RunState): string | undefined {
  const source = state.code ?? state.source;
  if (!source) return undefined;
  const what = state.code ? 'code' : 'workflow';
  if (!existsSync(source.file)) return `${source.file} no longer exists; going on with the ${what} as it was when run ${state.runId} started`;
  if (workflowTextHash(readFileSync(source.file, 'utf8')) === source.sha256) return undefined;
  const newer = state.code ? '`baton retry --new-code` to take the new version' : 'start a new run to use the new version';
  return `${source.file} changed since run ${state.runId} started; going on with the ${what} as it was then (${newer})`;
}
