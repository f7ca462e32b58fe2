import { QUEUE_NAME } from '../spec/queue-name.js';
import { parseJson } from '../expr/safe-json.js';
import { BatonError } from '../observability/errors.js';

/** Parses repeated `key=value` options (`--input`, `--env`) into a map. */
export function parsePairs(values: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new BatonError('CLI_BAD_PAIR', `${option} "${pair}" must look like key=value`, { details: { option } });
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** A whole number, negative ones too (`--priority -5`); CLI_BAD_NUMBER otherwise. */
export function parseInteger(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n)) {
    throw new BatonError('CLI_BAD_NUMBER', `${option} must be a whole number, got "${value}"`, { details: { option } });
  }
  return n;
}

export function parsePositiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new BatonError('CLI_BAD_NUMBER', `${option} must be a whole number of at least 1, got "${value}"`, {
      details: { option },
    });
  }
  return n;
}

/** `--data` of `baton emit`: JSON (null when not given); not JSON is USAGE_BAD_DATA. */
export function parseEventData(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return parseJson(text, '--data');
  } catch (err) {
    throw new BatonError('USAGE_BAD_DATA', `--data is not JSON: ${(err as Error).message} (quote it for the shell: --data '{"ok": true}')`, { cause: err });
  }
}

/** A queue name given on the command line, as workflow files write them (SPEC_BAD_QUEUE there); CLI_USAGE otherwise. */
export function checkQueueName(queue: string, flag: string): string {
  if (QUEUE_NAME.test(queue)) return queue;
  throw new BatonError('CLI_USAGE', `${flag} ${JSON.stringify(queue)} is not a queue name: use 1 to 64 letters, digits, -, _ and . (gpu, build.linux-x64)`, { details: { flag } });
}
