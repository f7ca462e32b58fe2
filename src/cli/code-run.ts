/**
 * `baton run` of a file that is code: a TypeScript/JavaScript workflow (flow.ts) or a
 * script in any language (deploy.sh) whose `baton step`s are durable. Loaded here, driven
 * by the same run session as a workflow file (engine/steps/).
 */
import { loadCode } from '../sdk/load-code.js';
import { driveNewRun, type NewRunFlags, type Placement } from './new-run.js';

export { driveExtras, programs } from '../runs/drive-options.js';

export async function runCode(file: string, kind: 'js' | 'script', flags: NewRunFlags, placement?: Placement): Promise<number> {
  const { workflow, code } = await loadCode(file, kind);
  return driveNewRun(file, flags, { workflow, code, source: { file: code.file, sha256: code.sha256 } }, placement);
}
