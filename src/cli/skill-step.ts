/**
 * `baton skill run` inside a script that baton runs: instead of a run of its own, the skill
 * runs as a durable step of the script's run (sdk/step-server.ts runs it as a child run,
 * like ctx.skill), so a resume of the script gets its recorded outputs back without
 * running it again. The outputs are printed as one line of JSON, for the script to read.
 */
import { PROTOCOL_VERSION } from '../sdk/step-protocol.js';
import { askRun } from './step-socket.js';

export async function skillStep(name: string, inputs: Record<string, unknown>): Promise<number> {
  const answer = await askRun('skill run', { v: PROTOCOL_VERSION, skill: { name, inputs } });
  const done = answer.done as { stdout?: string } | undefined;
  if (done !== undefined) {
    process.stdout.write(done.stdout ?? '{}\n');
    return 0;
  }
  const failed = answer.failed as { exit_code?: number; code: string; message: string } | undefined;
  process.stderr.write(`baton: ${failed?.message ?? 'the skill step ended without an answer'} [${failed?.code ?? 'STEP_PROTOCOL'}]\n`);
  return Number.isInteger(failed?.exit_code) && failed!.exit_code! > 0 ? failed!.exit_code! : 1;
}
