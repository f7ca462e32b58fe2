/**
 * `baton skill run` inside a script that baton runs: instead of a run of its own, the skill
 * runs as a durable step of the script's run (sdk/step-server.ts runs it as a child run,
 * like ctx.skill), so a resume of the script gets its recorded outputs back without
 * running it again. The outputs are printed as one line of JSON, for the script to read.
 */
import { BatonError } from '../observability/errors.js';
import { encode, LineReader, PROTOCOL_VERSION } from '../sdk/step-protocol.js';
import { connectToRun, serverGone } from './step-socket.js';

export async function skillStep(name: string, inputs: Record<string, unknown>): Promise<number> {
  const socket = await connectToRun('skill run');
  return new Promise((resolve, reject) => {
    let answered = false;
    socket.setEncoding('utf8');
    const reader = new LineReader((message) => {
      answered = true;
      const error = message.error as { code: string; message: string } | undefined;
      if (error !== undefined) return reject(new BatonError(error.code, error.message));
      const done = message.done as { stdout?: string } | undefined;
      if (done !== undefined) {
        process.stdout.write(done.stdout ?? '{}\n');
        return resolve(0);
      }
      const failed = message.failed as { exit_code: number; code: string; message: string } | undefined;
      if (failed !== undefined) {
        process.stderr.write(`baton: ${failed.message} [${failed.code}]\n`);
        return resolve(Number.isInteger(failed.exit_code) && failed.exit_code > 0 ? failed.exit_code : 1);
      }
    });
    socket.on('data', (chunk: string) => {
      try {
        reader.push(chunk);
      } catch (err) {
        reject(new BatonError('STEP_PROTOCOL', `the baton running this script sent ${(err as Error).message}`));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!answered) reject(serverGone('its connection closed'));
    });
    socket.write(encode({ v: PROTOCOL_VERSION, skill: { name, inputs } }));
  });
}
