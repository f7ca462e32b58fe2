/**
 * An HTTP server in the test process standing in for webhooks and Slack: it keeps every
 * request it gets (path, headers, body as text) and answers each with the next status asked
 * for (per path, or for any path), then 200. Call inside a describe block or at a file's top
 * level: it registers the hooks that start it, empty it before each test, and close it.
 * Processes under test must be started without waiting (batonAsync): this process answers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** http://127.0.0.1:<port>, once started. */
  readonly base: string;
  /** What came, in order; emptied before each test. */
  readonly deliveries: Delivery[];
  /** The statuses to answer the next requests with, in turn (to `path` only, when given); then 200. */
  answer(statuses: number[], path?: string): void;
}

export function httpReceiver(): Receiver {
  let server: Server;
  let base = '';
  const deliveries: Delivery[] = [];
  let answers = new Map<string | undefined, number[]>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = req.url ?? '';
        deliveries.push({ path, headers: req.headers, body });
        res.statusCode = answers.get(path)?.shift() ?? answers.get(undefined)?.shift() ?? 200;
        res.end(res.statusCode === 200 ? 'ok' : 'busy');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    deliveries.length = 0;
    answers = new Map();
  });
  return {
    get base() {
      return base;
    },
    deliveries,
    answer: (statuses, path) => answers.set(path, [...statuses]),
  };
}
