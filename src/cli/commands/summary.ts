/**
 * `baton summary <text...>` (or `baton summary -` to read it from stdin): inside a script
 * that baton runs, sets what the run reports back when it ends, in place of the script's
 * last lines of output. The last call wins.
 */
import { readFileSync } from 'node:fs';
import { BatonError } from '../../observability/errors.js';
import { PROTOCOL_VERSION } from '../../sdk/step-protocol.js';
import { askRun } from '../step-socket.js';

export const SUMMARY_USAGE = 'baton summary <text...> | baton summary -';

export default async function summary(args: string[]): Promise<number> {
  const words = args[0] === '--' ? args.slice(1) : args;
  if (words.length === 0) throw new BatonError('CLI_USAGE', `baton summary: missing the text (give it as arguments, or - to read it from stdin)\nusage: ${SUMMARY_USAGE}`);
  const text = words.length === 1 && words[0] === '-' ? readFileSync(0, 'utf8').trimEnd() : words.join(' ');
  await askRun('summary', { v: PROTOCOL_VERSION, summary: text });
  return 0;
}
