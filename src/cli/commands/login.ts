/**
 * `baton login [URL]` and `baton logout [URL]` (docs/access.md#the-cli-against-a-server):
 * keep a server's token for the CLI's `--server` and BATON_SERVER, checked with the server
 * before it is kept; the server logged in to becomes the default of a bare `--server`.
 * The token comes from `--token`, standard input when it is not a terminal
 * (`echo $T | baton login URL`), or a prompt that does not echo it.
 */
import { BatonError } from '../../observability/errors.js';
import { RemoteServer, serverUrl } from '../../runs/remote-client.js';
import { EXIT } from '../exit.js';
import { credentialsFile, readCredentials, writeCredentials, type Credentials } from '../remote/credentials.js';

interface LoginFlags {
  token?: string;
}

interface Whoami {
  actor: string;
  roles: string[];
  namespace: string;
  token?: { id: string; name?: string };
}

export async function login(given: string | undefined, flags: LoginFlags): Promise<number> {
  const url = whichServer(given, undefined, 'login');
  const token = (flags.token ?? (await readToken())).trim();
  if (token === '') throw new BatonError('CLI_USAGE', 'no token given: pass --token, pipe it on standard input, or type it at the prompt');
  const who = await new RemoteServer(url, token).get<Whoami>('/api/whoami');
  const file = credentialsFile();
  const credentials = readCredentials(file);
  credentials.servers[url] = { token, actor: who.actor };
  credentials.default = url;
  writeCredentials(credentials, file);
  process.stdout.write(`logged in to ${url} as ${who.actor} (${who.roles.join(', ')} in ${who.namespace}); the token is kept in ${file} (readable by you only)\n`);
  return EXIT.ok;
}

export async function logout(given: string | undefined): Promise<number> {
  const file = credentialsFile();
  const credentials = readCredentials(file);
  const url = whichServer(given, credentials, 'logout');
  if (credentials.servers[url] === undefined) {
    process.stdout.write(`not logged in to ${url}\n`);
    return EXIT.ok;
  }
  delete credentials.servers[url];
  if (credentials.default === url) delete credentials.default;
  writeCredentials(credentials, file);
  process.stdout.write(`logged out of ${url}: its token is no longer kept (it still works until revoked: baton token revoke)\n`);
  return EXIT.ok;
}

/** The URL given, else BATON_SERVER, else (for logout) the default of the last login. */
function whichServer(given: string | undefined, credentials: Credentials | undefined, command: string): string {
  if (given !== undefined) return serverUrl(given, 'the server');
  const fromEnv = process.env.BATON_SERVER?.trim();
  if (fromEnv) return serverUrl(fromEnv, 'BATON_SERVER');
  if (credentials?.default !== undefined) return credentials.default;
  throw new BatonError('CLI_USAGE', `which server? give its URL: baton ${command} https://baton.example.com (or set BATON_SERVER)`);
}

/** The token from standard input: piped in whole, or typed at a prompt that does not echo it. */
async function readToken(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text;
  }
  process.stderr.write('token: ');
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          done();
          return resolve(typed);
        }
        if (char === '\u0003') {
          done();
          return reject(new BatonError('CLI_USAGE', 'login cancelled'));
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    const done = () => {
      process.stdin.off('data', onData);
      process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stderr.write('\n');
    };
    process.stdin.on('data', onData);
  });
}
