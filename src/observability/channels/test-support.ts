/**
 * Shared by this folder's tests (not by baton itself): a failed run's notice, a recording
 * HTTP receiver on 127.0.0.1 answering by path, a port nothing listens on, and a folder of
 * secret files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { routeServer, type Route } from '../../executors/test-support.js';
import type { Notice } from './notice.js';

export { rejection } from '../../executors/test-support.js';

/** A run of `deploy` that failed in `migrate`, with everything a notice can say. */
export function failedRun(extra: Partial<Notice> = {}): Notice {
  return {
    kind: 'run',
    title: 'deploy failed',
    text: 'deploy of 1.4.2 to prod failed in migrate',
    delivery: '01JRUNFAILED/run-end/ops',
    run_id: '01JRUNFAILED',
    workflow: 'deploy',
    namespace: 'default',
    status: 'failed',
    failed_task: 'migrate',
    error: 'exit code 3',
    error_tail: 'applying 0042_users.sql\nERROR: relation "users" already exists',
    duration_ms: 72_500,
    run_url: 'https://baton.example.com/runs/01JRUNFAILED',
    at: Date.UTC(2025, 0, 2, 3, 4, 5),
    ...extra,
  };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP server recording what it receives: `/ok/...` answers 200 "ok", `/fail/...`
 * 500, `/bad/...` 400, `/gone/...` 404 no_service (as Slack does), `/slow/...` 429,
 * `/hang/...` nothing at all.
 */
export function receiver(): { base: () => string; received: Received[]; last: () => Received } {
  const received: Received[] = [];
  const answer =
    (status: number, text: string): Route =>
    (req, res, body) => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = status;
      res.end(text);
    };
  const server = routeServer({
    '/ok/T0K3N': answer(200, 'ok'),
    '/fail/T0K3N': answer(500, 'oops'),
    '/bad/T0K3N': answer(400, 'invalid_payload'),
    '/gone/T0K3N': answer(404, 'no_service'),
    '/slow/T0K3N': answer(429, 'rate_limited'),
    // Never answers (the server closes the connection when the file's tests end).
    '/hang/T0K3N': (req, _res, body) => received.push({ path: req.url ?? '', headers: req.headers, body }),
  });
  return { base: server.base, received, last: () => received.at(-1)! };
}

/** A port on 127.0.0.1 that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Writes files into a fresh folder; returns each file's absolute path by name. */
export function secretFiles(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-secrets-'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = path.join(dir, name);
    writeFileSync(paths[name], text);
  }
  return paths;
}
