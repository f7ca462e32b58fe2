/**
 * How `baton step` and `baton summary` reach the baton running their script: the unix
 * socket named by $BATON_STEP_SOCKET (sdk/step-server.ts listens on it).
 */
import net from 'node:net';
import { BatonError } from '../observability/errors.js';
import { encode, LineReader, SOCKET_ENV, type ClientMessage } from '../sdk/step-protocol.js';

/** Connects to the run's step server; throws STEP_NO_RUN outside a run, STEP_SERVER_GONE when nobody listens. */
export function connectToRun(command: 'step' | 'summary' | 'skill run'): Promise<net.Socket> {
  const socketPath = process.env[SOCKET_ENV];
  if (socketPath === undefined || socketPath === '') {
    throw new BatonError(
      'STEP_NO_RUN',
      `baton ${command} works only inside a script that baton runs ($${SOCKET_ENV} is not set): run the script with \`baton run <script>\``,
      { details: { command } },
    );
  }
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(serverGone(err.code ?? err.message)));
  });
}

/**
 * The baton process that ran the script is gone (killed, or it ended while the script went
 * on): the run is interrupted, and resuming it runs the script again.
 */
export function serverGone(why: string): BatonError {
  const run = process.env.BATON_RUN_ID;
  return new BatonError(
    'STEP_SERVER_GONE',
    `the baton process running this script is gone (${why}): nothing more can be recorded; go on with \`baton resume ${run ?? '<run>'}\`, which runs the script again and skips the steps it recorded`,
    { details: run === undefined ? {} : { run } },
  );
}

/**
 * One request to the run's step server and its one answer (`baton summary`, `baton skill
 * run` inside a script): resolves with the answer's message; an `error` answer, a reply
 * that is not the protocol, or a server that closes without answering rejects.
 */
export async function askRun(command: 'summary' | 'skill run', request: ClientMessage): Promise<Record<string, unknown>> {
  const socket = await connectToRun(command);
  return new Promise((resolve, reject) => {
    let answered = false;
    socket.setEncoding('utf8');
    const reader = new LineReader((message) => {
      answered = true;
      socket.end();
      const error = message.error as { code: string; message: string } | undefined;
      if (error !== undefined) reject(new BatonError(error.code, error.message));
      else resolve(message);
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
    // Not end(): the server would close its side with ours, before a long answer (a skill's run) is ready.
    socket.write(encode(request));
  });
}
