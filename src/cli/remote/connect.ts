/**
 * `--server URL` and BATON_SERVER: whether a command talks to a baton server instead of
 * opening a store, and which of its flags go with that.
 *
 * The flag wins over the variable. A bare `--server` talks to BATON_SERVER, else to the
 * server `baton login` last logged in to. Flags that ask for something local (`--store`,
 * `--dry-run`, `baton run -`, the hidden flags `baton mcp` passes) are an error with
 * `--server`; with only BATON_SERVER set they make the command local, so a variable set
 * for the shell does not take over what was asked for explicitly. Flags a server cannot
 * honour (`--env`, `--concurrency`...) are an error either way.
 */
import { Option } from 'commander';
import { BatonError } from '../../observability/errors.js';
import type { RemoteServer } from '../../runs/remote-client.js';
import type { StatusJson } from '../../runs/run-view.js';

export interface ServerFlags {
  /** `--server <url>`; default BATON_SERVER; neither: the command is local. `true`: a bare `--server`. */
  server?: string | true;
}

/** The server a command talks to, and whether `--server` named it (hints then repeat it). */
export interface Remote {
  server: RemoteServer;
  /** Given as `--server`, not by BATON_SERVER. */
  explicit: boolean;
}

/** `--server <url>`, the same on every command that can work against a server. */
export function serverOption(): Option {
  return new Option('--server [url]', 'talk to the baton server at this URL (`baton serve`) instead of opening a store (default: $BATON_SERVER; without a URL: $BATON_SERVER, else the server of the last baton login)');
}

/**
 * What a command's flags mean for a server. Each entry names a flag as the user writes it
 * and whether it was given; `local` ones choose a local run, `unsupported` ones cannot be
 * done by a server (`why` says so after the flag).
 */
export interface FlagRules {
  local?: Array<[flag: string, given: boolean]>;
  unsupported?: Array<[flag: string, given: boolean, why: string]>;
}

/** The server the command talks to, or undefined for a local command. CLI_USAGE for flags that do not go with it. */
export async function remoteFor(flags: ServerFlags & { store?: string; origin?: string }, rules: FlagRules = {}): Promise<Remote | undefined> {
  const fromEnv = process.env.BATON_SERVER?.trim() || undefined;
  if (flags.server === undefined && fromEnv === undefined) return undefined;
  const explicit = flags.server !== undefined;
  const source = explicit ? '--server' : 'BATON_SERVER';
  const local = [['--store', flags.store !== undefined], ['--origin', flags.origin !== undefined], ...(rules.local ?? [])].filter(([, on]) => on).map(([flag]) => flag as string);
  if (local.length > 0) {
    if (!explicit) return undefined;
    throw new BatonError('CLI_USAGE', `${local[0]} is for a local run and does not go with --server: leave one of them out`, { details: { flag: local[0] } });
  }
  const given = typeof flags.server === 'string' ? flags.server : (fromEnv ?? (await loggedIn()));
  const refused = (rules.unsupported ?? []).find(([, on]) => on);
  if (refused) {
    throw new BatonError('CLI_USAGE', `${refused[0]} does not go with ${source} (${given}): ${refused[2]}`, { details: { flag: refused[0] } });
  }
  const [{ RemoteServer, serverUrl }, { tokenFor }] = await Promise.all([import('../../runs/remote-client.js'), import('./credentials.js')]);
  const url = serverUrl(given, source);
  return { server: new RemoteServer(url, tokenFor(url)), explicit };
}

/** A bare `--server` without BATON_SERVER: the server of the last `baton login`. */
async function loggedIn(): Promise<string> {
  const { defaultServer } = await import('./credentials.js');
  const url = defaultServer();
  if (url === undefined) throw new BatonError('CLI_NO_SERVER', '--server without a URL, and neither BATON_SERVER nor a baton login says which server: give --server URL, or run baton login URL first');
  return url;
}

/** The run as the server has it now (`baton status --json`'s document); any unique prefix of its id. */
export function runView(remote: Remote, runArg: string): Promise<StatusJson> {
  return remote.server.get<StatusJson>(`/api/runs/${encodeURIComponent(runArg)}`);
}

/**
 * The hints baton prints (`baton retry RUN`, `baton logs RUN task`) with `--server URL`, so
 * that they work as printed; with BATON_SERVER they work already.
 */
export function withServer(text: string, remote: Remote): string {
  if (!remote.explicit) return text;
  return text.replace(/\bbaton (logs|retry|resume|status|approve|emit|cancel|history)\b/g, (_all, command: string) => `baton ${command} --server ${remote.server.url}`);
}
