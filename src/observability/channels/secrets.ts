/**
 * A channel's secrets, read where the notice is sent (the process driving the run, a
 * worker, the server's sender), never from the notice or the config file: `<field>_env`
 * names an environment variable, `<field>_file` a file holding the value (trimmed, as
 * Docker's `_FILE` convention: a mounted secret usually ends with a newline). Messages name
 * the variable or the file, never the value.
 */
import { readFileSync } from 'node:fs';
import { ExecutorError } from '../../executors/errors.js';

/** A secret file bigger than this is not a secret (a wrong path, most likely). */
const MAX_SECRET_BYTES = 64 * 1024;

export type Env = Record<string, string | undefined>;

/**
 * The value from the variable `fromEnv` or the file `fromFile` (the one given), or
 * undefined when neither is. `what` and `who` make the message: `channel ops takes its URL
 * from the environment variable OPS_URL, which is not set here`.
 */
export function readSecret(env: Env, fromEnv: string | undefined, fromFile: string | undefined, what: string, who: string): string | undefined {
  if (fromEnv !== undefined) {
    const value = env[fromEnv];
    if (value === undefined || value === '') {
      throw new ExecutorError('NOTIFY_ENV_UNSET', `${who} takes ${what} from the environment variable ${fromEnv}, which is not set here`, {
        retryable: false,
        details: { variable: fromEnv },
      });
    }
    return value;
  }
  if (fromFile === undefined) return undefined;
  let text: string;
  try {
    const buffer = readFileSync(fromFile);
    if (buffer.byteLength > MAX_SECRET_BYTES) throw new Error(`it is ${buffer.byteLength} bytes, more than a secret (${MAX_SECRET_BYTES} at most)`);
    text = buffer.toString('utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new ExecutorError('NOTIFY_SECRET_FILE', `${who} takes ${what} from the file ${fromFile}, which cannot be read here: ${why}`, {
      retryable: false,
      cause: err,
      details: { file: fromFile },
    });
  }
  if (text === '') {
    throw new ExecutorError('NOTIFY_SECRET_FILE', `${who} takes ${what} from the file ${fromFile}, which is empty: write the value in it`, {
      retryable: false,
      details: { file: fromFile },
    });
  }
  return text;
}

/** `https://hooks.slack.com/…`: a webhook's path and query often hold its token, so only the origin is shown. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname === '/' && parsed.search === '' ? parsed.origin : `${parsed.origin}/…`;
  } catch {
    return 'the webhook URL';
  }
}

/** A URL read from the environment or a file: http(s), or NOTIFY_BAD_URL naming where it came from (never the value). */
export function checkHttpUrl(url: string, source: string, who: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ExecutorError('NOTIFY_BAD_URL', `${who}: the URL in ${source} is not an http:// or https:// URL; check what it holds`, { retryable: false });
  }
  return url;
}
