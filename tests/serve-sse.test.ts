/**
 * `baton serve`'s event stream with log lines (GET /api/runs/{id}/events): live, resumable
 * from any id, the old events-only shape with ?logs=false, and a client that stops reading
 * cannot grow the server's memory. A real daemon, real HTTP, real processes.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, killServers, project, serve } from './serve-helpers.js';

afterEach(killServers);

interface Item {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Parses the complete SSE blocks of `text`; returns them and the incomplete rest. */
function parseBlocks(text: string): { items: Item[]; rest: string } {
  const blocks = text.split('\n\n');
  const rest = blocks.pop()!;
  const items = blocks
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
    });
  return { items, rest };
}

/** The items of a stream until it ends; the status when it is not a stream. */
async function stream(url: string, lastEventId?: string): Promise<Item[]> {
  const res = await fetch(url, lastEventId === undefined ? {} : { headers: { 'Last-Event-ID': lastEventId } });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return parseBlocks(await res.text()).items;
}

const lineOf = (item: Item) => `${item.data.task as string}#${item.data.attempt as number} ${item.data.stream === 'stderr' ? '!' : '|'} ${item.data.text as string}`;

/**
 * A whole run's stream (or one put together from a first part and a resumed rest) holds
 * every event once in seq order and every line once in its attempt's order, each line
 * after its task's TaskStarted and before its TaskSucceeded.
 */
function expectWhole(items: Item[], events: number, lines: Record<string, string[]>) {
  expect(items.filter((i) => i.event !== 'log').map((i) => i.data.seq)).toEqual(Array.from({ length: events }, (_, n) => n + 1));
  const byAttempt: Record<string, string[]> = {};
  for (const item of items.filter((i) => i.event === 'log')) (byAttempt[`${item.data.task as string}#${item.data.attempt as number}`] ??= []).push(lineOf(item));
  expect(byAttempt).toEqual(lines);
  for (const [index, item] of items.entries()) {
    if (item.event !== 'log') continue;
    const started = items.findIndex((i) => i.event === 'TaskStarted' && i.data.task === item.data.task && i.data.attempt === item.data.attempt);
    const ended = items.findIndex((i) => (i.event === 'TaskSucceeded' || i.event === 'TaskFailed') && i.data.task === item.data.task && i.data.attempt === item.data.attempt);
    expect(started).toBeLessThan(index);
    expect(ended).toBeGreaterThan(index);
  }
  expect(items.at(-1)?.event).toBe('RunSucceeded');
}

const GATED = [
  'name: gated',
  'tasks:',
  '  - id: talk',
  '    command: echo first; while [ ! -f go ]; do sleep 0.05; done; echo second',
  '  - id: flaky',
  '    retry: { attempts: 2, delay: 10 }',
  '    command: echo "try $BATON_ATTEMPT"; echo warn >&2; test "$BATON_ATTEMPT" = 2',
  '  - id: after',
  '    depends_on: [talk]',
  '    command: echo after',
  '',
].join('\n');

const GATED_LINES = {
  'talk#1': ['talk#1 | first', 'talk#1 | second'],
  'flaky#1': ['flaky#1 | try 1', 'flaky#1 ! warn'],
  'flaky#2': ['flaky#2 | try 2', 'flaky#2 ! warn'],
  'after#1': ['after#1 | after'],
};

describe('baton serve: the event stream with log lines', () => {
  it('streams log lines live, interleaved with the events; resumes from any id with exactly the rest; ?logs=false is the old stream', async () => {
    const dir = project({ 'gated.yaml': GATED });
    const s = await serve(dir);
    const { body } = await json(await fetch(`${s.base}/api/workflows/gated/runs`, { method: 'POST' }));
    const url = `${s.base}/api/runs/${body.run_id as string}/events`;

    // Live: `first` arrives while its task still runs (it waits for the file `go`).
    const stop = new AbortController();
    const reader = (await fetch(url, { signal: stop.signal })).body!.getReader();
    const head: Item[] = [];
    let text = '';
    while (!head.some((i) => i.event === 'log' && i.data.text === 'first')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before the first line');
      const parsed = parseBlocks(text + Buffer.from(value).toString());
      head.push(...parsed.items);
      text = parsed.rest;
    }
    stop.abort();
    expect((await json(await fetch(`${s.base}/api/runs/${body.run_id as string}`))).body.status).toBe('running');
    expect(head.map((i) => i.data.text)).not.toContain('second');
    const first = head.find((i) => i.data.text === 'first')!;
    expect(first.data).toEqual({ task: 'talk', attempt: 1, stream: 'stdout', at: expect.any(Number), text: 'first' });

    // Resumed from there once the task goes on: the rest, to the run's end.
    writeFileSync(path.join(dir, 'go'), '');
    const rest = await stream(url, head.at(-1)!.id);
    expectWhole([...head, ...rest], rest.at(-1)!.data.seq as number, GATED_LINES);

    // The finished run's whole stream, and from each of its ids exactly what follows it.
    const whole = await stream(url);
    const events = whole.filter((i) => i.event !== 'log');
    expectWhole(whole, events.length, GATED_LINES);
    for (const [index, item] of whole.entries()) expect(await stream(url, item.id)).toEqual(whole.slice(index + 1));

    // Events only: ids are the seqs, as before log lines were streamed.
    const old = await stream(`${url}?logs=false`);
    expect(old.map((i) => i.id)).toEqual(events.map((e) => String(e.data.seq)));
    expect(old).toEqual(events.map((e) => ({ ...e, id: String(e.data.seq) })));
    expect((await stream(`${url}?logs=false`, '3')).map((i) => i.id)).toEqual(old.slice(3).map((i) => i.id));

    // One task's lines.
    const flaky = await stream(`${url}?task=flaky`);
    expect(flaky.filter((i) => i.event === 'log').map(lineOf)).toEqual([...GATED_LINES['flaky#1'], ...GATED_LINES['flaky#2']]);
    // Every event; positions name only that task's attempts.
    expect(flaky.filter((i) => i.event !== 'log').map((i) => i.data)).toEqual(events.map((e) => e.data));
    expect(flaky.map((i) => i.id).filter((id) => id.includes('.') && !/^\d+\.flaky:\d+:[0-9a-z]+$/.test(id))).toEqual([]);

    // A bad Last-Event-ID is refused with the field and the reason.
    for (const bad of ['x', '3.', '3.talk:1', '3.talk:one:1', '3.talk:1:ZZ', '3.%E0%A4%A:1:1', '3.talk:1:1,talk:1:2']) {
      const res = await json(await fetch(url, { headers: { 'Last-Event-ID': bad } }));
      expect(res).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST', details: { field: 'last-event-id', reason: expect.any(String) } } } });
    }
    expect(await json(await fetch(`${url}?logs=maybe`))).toMatchObject({ status: 400, body: { error: { details: { field: 'logs' } } } });
  });

  it('a client that does not read cannot grow the server: the stream waits for it, and then gives every line once, in order', { timeout: 180_000 }, async () => {
    const lines = 200_000;
    const width = 1000;
    const dir = project({ 'flood.yaml': `name: flood\ntasks:\n  - id: flood\n    command: seq -f '%0${width}.0f' 1 ${lines}\n` });
    try {
      const s = await serve(dir);
      const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) * 1024;
      const before = rss();
      let peak = before;
      const sample = setInterval(() => (peak = Math.max(peak, rss())), 50);
      try {
        const { body } = await json(await fetch(`${s.base}/api/workflows/flood/runs`, { method: 'POST' }));
        const runId = body.run_id as string;
        // Connected at once, and never read while the run writes its 200 MB.
        const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
          http.get(`${s.base}/api/runs/${runId}/events`, (r) => {
            r.pause();
            resolve(r);
          }).on('error', reject),
        );
        for (let status = ''; status !== 'succeeded'; await new Promise((r) => setTimeout(r, 100))) {
          status = (await json(await fetch(`${s.base}/api/runs/${runId}`))).body.status as string;
          expect(status).not.toBe('failed');
        }
        // Now read it all: every line once, in order, then the run's end.
        let text = '';
        let expected = 1;
        let last = '';
        let wrong = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const parsed = parseBlocks(text + chunk);
          text = parsed.rest;
          for (const item of parsed.items) {
            last = item.event;
            if (item.event !== 'log') continue;
            const got = item.data.text as string;
            if (got.length !== width || Number(got) !== expected) wrong ||= `line ${expected} expected, got ${Number(got)} (${got.length} characters)`;
            expected++;
          }
        });
        res.resume();
        await new Promise((resolve, reject) => res.on('end', resolve).on('error', reject));
        expect(wrong).toBe('');
        expect(expected - 1).toBe(lines);
        expect(last).toBe('RunSucceeded');
      } finally {
        clearInterval(sample);
      }
      // Anything like buffering the output (200 MB, more as SSE text) would show; the run's
      // own work through the server's heap, and one batch per stream, stay well under half.
      const outputBytes = lines * (width + 1);
      expect(peak - before).toBeLessThan(outputBytes / 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
