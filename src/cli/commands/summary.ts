/**
 * `baton summary <text...>` (or `baton summary -` to read it from stdin): inside a script
 * that baton runs, sets what the run reports back when it ends, in place of the script's
 * last lines of output. The last call wins.
 */
import { readFileSync } from 'node:fs';
import { BatonError } from '../../observability/errors.js';
import { encode, LineReader, PROTOCOL_VERSION } from '../../sdk/step-protocol.js';
import { connectToRun, serverGone } from '../step-socket.js';

export const SUMMARY_USAGE = 'baton summary <text...> | baton summary -';

export default async function summary(args: string[]): Promise<number> {
  const words = args[0] === '--' ? args.slice(1) : args;
  if (words.length === 0) throw new BatonError('CLI_USAGE', `baton summary: missing the text (give it as arguments, or - to read it from stdin)\nusage: ${SUMMARY_USAGE}`);
  const text = words.length === 1 && words[0] === '-' ? readFileSync(0, 'utf8').trimEnd() : words.join(' ');
  const socket = await connectToRun('summary');
  return new Promise((resolve, reject) => {
    let answered = false;
    socket.setEncoding('utf8');
    const reader = new LineReader((message) => {
      answered = true;
      const error = message.error as { code: string; message: string } | undefined;
      if (error !== undefined) reject(new BatonError(error.code, error.message));
      else resolve(0);
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
    socket.end(encode({ v: PROTOCOL_VERSION, summary: text }));
  });
}
