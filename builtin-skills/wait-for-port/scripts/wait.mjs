// wait-for-port: tries a TCP connection to host:port every `interval` until one is
// accepted (then closes it) or `timeout` has passed. Output: waited_ms, from the start to
// the accepted connection.
import net from 'node:net';
import { SkillError, badInput, durationInput, input, main, numberInput, seconds } from './lib.mjs';

main(async () => {
  const port = numberInput('port', undefined, { min: 1, max: 65535, integer: true });
  const host = input('host', '127.0.0.1').trim();
  if (host.startsWith('-') || /[\s/]/.test(host)) throw badInput(`input host: ${JSON.stringify(host)} is not a host name or address`);
  const timeoutMs = durationInput('timeout', '30s');
  const intervalMs = durationInput('interval', '0.5s');
  const started = Date.now();
  let tries = 0;
  let last;
  for (;;) {
    tries++;
    const left = timeoutMs - (Date.now() - started);
    last = await connect(host, port, Math.max(1, Math.min(left, 5000)));
    if (last === 'connected') return { waited_ms: Date.now() - started, tries, host, port };
    const wait = Math.min(intervalMs, timeoutMs - (Date.now() - started));
    if (wait <= 0) break;
    if (tries === 1) process.stdout.write(`${host}:${port} does not accept connections yet (${last}): trying every ${seconds(intervalMs)} for up to ${seconds(timeoutMs)}\n`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  throw new SkillError('PORT_TIMEOUT', `nothing accepted a connection on ${host}:${port} within ${seconds(timeoutMs)} (${tries} tr${tries === 1 ? 'y' : 'ies'}, last: ${last}); check that the service is started and listens on that address and port, or give it a longer timeout`);
});

/** 'connected', or why not (ECONNREFUSED, a time-out, ENOTFOUND...). */
function connect(host, port, limitMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(`no answer within ${seconds(limitMs)}`), limitMs);
    socket.once('connect', () => done('connected'));
    socket.once('error', (err) => done(err.code ?? err.message));
  });
}
