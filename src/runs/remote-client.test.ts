import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { categoryOf, exitCodeOf, ReportedError } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';
import { RemoteServer, serverUrl, type StreamItem } from './remote-client.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A real HTTP server on a free loopback port, answering with `handler`. */
async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const event = (seq: number, type: string) => `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ seq, type, at: seq })}\n\n`;

describe('the client of baton serve', () => {
  it('takes a bare host:port as http, and refuses what is no http(s) URL', () => {
    expect(serverUrl('127.0.0.1:8377', '--server')).toBe('http://127.0.0.1:8377');
    expect(serverUrl('https://baton.example.com/ops/', '--server')).toBe('https://baton.example.com/ops');
    expect(() => serverUrl('ftp://x', 'BATON_SERVER')).toThrow(/BATON_SERVER "ftp:\/\/x" is not an http\(s\) URL/);
  });

  it("gives the server's error its own code and category, even a code this baton does not know", async () => {
    const url = await listen((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'RUN_QUEUED_ELSEWHERE', category: 'conflict', message: 'not here', details: { run: 'X' } } }));
    });
    const err = await new RemoteServer(url).get('/api/runs/X').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportedError);
    expect(err).toMatchObject({ code: 'RUN_QUEUED_ELSEWHERE', message: 'not here', details: { run: 'X' } });
    expect([categoryOf(err), exitCodeOf(err)]).toEqual(['conflict', 2]);
  });

  it('tells another program on the port, and no program at all, from a baton server', async () => {
    const url = await listen((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    await expect(new RemoteServer(url).get('/api/runs')).rejects.toMatchObject({ code: 'SERVER_BAD_ANSWER', message: expect.stringContaining(`the server at ${url} answered GET /api/runs with HTTP 200 (text/html)`) });
    const gone = await listen(() => {});
    servers.pop()!.close();
    const err = (await new RemoteServer(gone).post('/api/runs/X/cancel').catch((e: unknown) => e)) as BatonError;
    expect(err.code).toBe('SERVER_UNREACHABLE');
    expect(err.message).toContain(`cannot reach the baton server at ${gone} (connection refused)`);
  });

  it("follows a run's event stream across a dropped connection, from the last event's id", async () => {
    const asked: Array<string | undefined> = [];
    const url = await listen((req, res) => {
      const last = req.headers['last-event-id'] as string | undefined;
      asked.push(last);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (last === undefined) {
        // Two events, then the connection breaks.
        res.write(event(1, 'RunCreated') + event(2, 'RunStarted') + `id: 2.a:1:5\nevent: log\ndata: ${JSON.stringify({ task: 'a', attempt: 1, stream: 'stdout', at: 3, text: 'hi' })}\n\n`);
        setTimeout(() => res.destroy(), 50);
      } else res.end(': keep-alive\n\n' + event(3, 'RunSucceeded'));
    });
    const stop = new AbortController();
    const items: StreamItem[] = [];
    for await (const item of new RemoteServer(url).runEvents('R1', stop.signal, { logs: true })) {
      items.push(item);
      if (item.kind === 'end') break;
    }
    expect(asked).toEqual([undefined, '2.a:1:5']);
    expect(items.map((i) => (i.kind === 'event' ? i.event.type : i.kind === 'line' ? `${i.line.task}: ${i.line.text}` : i.kind))).toEqual(['RunCreated', 'RunStarted', 'a: hi', 'idle', 'RunSucceeded', 'end']);
  });
});
