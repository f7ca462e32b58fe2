/**
 * Where `baton login` keeps the tokens of the servers it logged in to:
 * `$XDG_CONFIG_HOME/baton/credentials.json` (default `~/.config/baton`), readable by its
 * owner only (the folder 0700, the file 0600), written whole to a temporary file and
 * renamed over the old one, so a crash never leaves half a file. A token from BATON_TOKEN
 * wins over the file; neither is ever printed. The last server logged in to is the
 * default of a bare `--server`.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatonError } from '../../observability/errors.js';

export interface Credentials {
  /** By server URL (as serverUrl() writes it). */
  servers: Record<string, { token: string; actor?: string }>;
  /** The server a bare `--server` (no URL, no BATON_SERVER) talks to: the last one logged in to. */
  default?: string;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || path.join(os.homedir(), '.config');
  return path.join(base, 'baton', 'credentials.json');
}

export function readCredentials(file = credentialsFile()): Credentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { servers: {} };
    throw new BatonError('CLI_CREDENTIALS', `cannot read ${file}: ${(err as Error).message}`, { details: { file } });
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    if (typeof parsed.servers !== 'object' || parsed.servers === null) throw new Error('no servers');
    return { servers: parsed.servers, ...(typeof parsed.default === 'string' ? { default: parsed.default } : {}) };
  } catch {
    throw new BatonError('CLI_CREDENTIALS', `${file} is not a credentials file baton wrote: remove it and run baton login again`, { details: { file } });
  }
}

export function writeCredentials(credentials: Credentials, file = credentialsFile()): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = path.join(dir, `.credentials.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, file);
}

/** The token to send to `url`: BATON_TOKEN, else the one baton login kept for it. */
export function tokenFor(url: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.BATON_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  try {
    return readCredentials(credentialsFile(env)).servers[url]?.token;
  } catch {
    // An unreadable file is reported by baton login/logout; a request goes without and is told why.
    return undefined;
  }
}

/** The server of a bare `--server`: the last one `baton login` logged in to, if it is still kept. */
export function defaultServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const credentials = readCredentials(credentialsFile(env));
  return credentials.default !== undefined && credentials.servers[credentials.default] !== undefined ? credentials.default : undefined;
}
