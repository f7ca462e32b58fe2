/**
 * Messaging end to end, with the machine's real brokers: a `baton run` of a publish task
 * sends a message, and a real `baton serve` process, subscribed through a message trigger,
 * starts exactly one run for it, also when the server is killed (SIGKILL) after it
 * received the message and before it recorded anything, or after it recorded the run and
 * before it acknowledged the message. A message the trigger cannot read is recorded as
 * refused and acknowledged, not delivered again.
 *
 * The kills land where they should through BATON_TEST_MESSAGE_HOOK (server/messages.ts),
 * which makes the server hold the message at that point and say so in its log.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import type { BrokerKind } from '../src/spec/broker-kind.js';
import { BROKER_TEST_URLS, describeBroker, removeTestThings, uniqueName } from '../src/brokers/test-brokers.js';
import { baton } from './helpers.js';
import { json, killServers, project, serve, type Served } from './serve-helpers.js';

afterEach(killServers);
const made = { streams: [] as string[], queues: [] as string[], clients: [] as string[] };
afterAll(() => removeTestThings(made));

/** Where a trigger of `kind` reads and a publish task sends, fresh for each test. */
function destination(kind: BrokerKind): { trigger: string; publish: string } {
  if (kind === 'nats') {
    const subject = uniqueName('baton.e2e');
    const stream = uniqueName('BATON_E2E');
    made.streams.push(stream);
    return { trigger: `subject: ${subject}, stream: ${stream}`, publish: `subject: ${subject}` };
  }
  if (kind === 'amqp') {
    const queue = uniqueName('baton-e2e');
    made.queues.push(queue);
    return { trigger: `queue: ${queue}`, publish: `routing_key: ${queue}` };
  }
  const topic = `${uniqueName('baton-e2e')}/orders`;
  const consumer = uniqueName('baton-e2e');
  made.clients.push(consumer);
  return { trigger: `topic: "${topic}", consumer: ${consumer}`, publish: `topic: "${topic}"` };
}

/** A project with a workflow fired by messages and one that publishes `body`. */
function messaging(kind: BrokerKind, extra = ''): { dir: string } {
  const where = destination(kind);
  const dir = project({
    'on-order.yaml': `name: on-order
inputs:
  order: { type: number, default: 0 }
outputs:
  got: "\${ tasks.show.outputs.stdout }"
triggers:
  - type: message
    config: { url: "\${ env.BATON_E2E_BROKER }", ${where.trigger}, filter: "trigger.message.body.order != 13", inputs: { order: "\${ trigger.message.body.order }" }${extra} }
tasks:
  - id: show
    command: echo "order=\${ inputs.order } broker=\${ trigger.message.broker } id=\${ trigger.message.id }"
`,
    'send.yaml': `name: send
inputs:
  order: { type: number }
  raw: { type: string, default: "" }
tasks:
  - id: publish
    type: publish
    condition: inputs.raw == ''
    url: "\${ env.BATON_E2E_BROKER }"
    ${where.publish}
    body: { order: "\${ inputs.order }" }
    headers: { x-sent-by: baton-e2e }
  - id: publish-raw
    type: publish
    condition: inputs.raw != ''
    url: "\${ env.BATON_E2E_BROKER }"
    ${where.publish}
    body: "\${ inputs.raw }"
`,
  });
  return { dir };
}

async function serveOn(kind: BrokerKind, dir: string, hook?: 'received' | 'recorded'): Promise<Served> {
  process.env.BATON_E2E_BROKER = BROKER_TEST_URLS[kind];
  if (hook) process.env.BATON_TEST_MESSAGE_HOOK = hook;
  try {
    const s = await serve(dir);
    await until(s, () => s.log().includes('message trigger of on-order: subscribed to'), 'the subscription');
    return s;
  } finally {
    delete process.env.BATON_TEST_MESSAGE_HOOK;
  }
}

function send(dir: string, order: number, raw = ''): string {
  const r = baton(['run', 'send.yaml', '-i', `order=${order}`, ...(raw ? ['-i', `raw=${raw}`] : []), '--json'], { cwd: dir, env: { BATON_E2E_BROKER: process.env.BATON_E2E_BROKER } });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { run_id: string }).run_id;
}

async function until(s: Served, check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms; the server said:\n${s.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runs(base: string): Promise<Array<{ run_id: string; status: string }>> {
  return (await json(await fetch(`${base}/api/runs?workflow=on-order&limit=100`))).body.runs as Array<{ run_id: string; status: string }>;
}

async function firings(base: string): Promise<Array<Record<string, unknown>>> {
  return (await json(await fetch(`${base}/api/firings?workflow=on-order`))).body.firings as Array<Record<string, unknown>>;
}

/** The one run of on-order, once it ended; fails if there are more. */
async function theRun(s: Served): Promise<Record<string, unknown>> {
  let found: Array<{ run_id: string; status: string }> = [];
  for (let i = 0; i < 400; i++) {
    found = await runs(s.base);
    if (found.length > 0 && ['succeeded', 'failed'].includes(found[0].status)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(found, s.log()).toHaveLength(1);
  return (await json(await fetch(`${s.base}/api/runs/${found[0].run_id}`))).body;
}

/** Waits as long as a redelivery would take to come (and be handled), then returns the runs. */
async function settled(s: Served, kind: BrokerKind): Promise<Array<{ run_id: string; status: string }>> {
  await new Promise((r) => setTimeout(r, kind === 'nats' ? 1500 : 800));
  return runs(s.base);
}

for (const kind of ['nats', 'amqp', 'mqtt'] as const) {
  describeBroker(kind, `message trigger and publish task on ${kind}`, () => {
    it('a message published by a publish task starts exactly one run, with the message as trigger.message; the filter holds one back', async () => {
      const { dir } = messaging(kind);
      const s = await serveOn(kind, dir);
      const sender = send(dir, 7);
      const run = await theRun(s);
      expect(run).toMatchObject({ status: 'succeeded', result: { got: `order=7 broker=${kind} id=${sender}/publish` } });
      send(dir, 13);
      await until(s, () => s.log().includes('filtered'), 'filtered firing');
      expect(await settled(s, kind)).toHaveLength(1);
      const record = await firings(s.base);
      expect(record.map((f) => f.outcome)).toEqual(['filtered', 'started']);
      expect(record[1]).toMatchObject({ trigger: 'message', run_id: run.run_id });
      const triggers = (await json(await fetch(`${s.base}/api/triggers`))).body.triggers as Array<Record<string, unknown>>;
      expect(triggers[0]).toMatchObject({ type: 'message', subscription: { connected: true } });
    }, 60_000);

    it('killed after receiving a message and before recording anything: the message comes again, and one run is started', async () => {
      const { dir } = messaging(kind);
      const first = await serveOn(kind, dir, 'received');
      send(dir, 21);
      await until(first, () => first.log().includes('test hook BATON_TEST_MESSAGE_HOOK=received: holding'), 'message held');
      first.child.kill('SIGKILL');
      await first.exited;
      const second = await serveOn(kind, dir);
      const run = await theRun(second);
      expect(run).toMatchObject({ status: 'succeeded', result: { got: expect.stringContaining('order=21') } });
      expect(await settled(second, kind)).toHaveLength(1);
      expect((await firings(second.base)).map((f) => f.outcome)).toEqual(['started']);
    }, 60_000);

    it('killed after recording the run and before acknowledging the message: the message comes again and is a duplicate', async () => {
      const { dir } = messaging(kind);
      const first = await serveOn(kind, dir, 'recorded');
      send(dir, 34);
      await until(first, () => first.log().includes('test hook BATON_TEST_MESSAGE_HOOK=recorded: holding'), 'message held');
      first.child.kill('SIGKILL');
      await first.exited;
      const second = await serveOn(kind, dir);
      // The redelivery is recognised (its delivery is in the store): no second run.
      await until(second, () => second.log().includes('a delivery fires once'), 'the duplicate', 40_000);
      const run = await theRun(second);
      expect(run).toMatchObject({ status: 'succeeded', result: { got: expect.stringContaining('order=34') } });
      expect((await firings(second.base)).map((f) => [f.outcome, f.code])).toEqual([
        ['duplicate', 'MESSAGE_DUPLICATE'],
        ['started', undefined],
      ]);
    }, 90_000);
  });
}

describeBroker('amqp', 'a message the trigger cannot read', () => {
  it('is recorded as refused and acknowledged: it does not come again after a restart', async () => {
    const { dir } = messaging('amqp', ', format: json');
    const s = await serveOn('amqp', dir);
    send(dir, 0, 'not json at all');
    await until(s, () => s.log().includes('refused a message'), 'the refusal');
    expect((await firings(s.base)).map((f) => [f.outcome, f.code])).toEqual([['refused', 'MESSAGE_BODY']]);
    s.child.kill('SIGKILL');
    await s.exited;
    const again = await serveOn('amqp', dir);
    await new Promise((r) => setTimeout(r, 800));
    expect(await firings(again.base)).toHaveLength(1);
    expect(await runs(again.base)).toHaveLength(0);
  }, 60_000);
});

describeBroker('amqp', 'a broker that is not there', () => {
  it('is said in the log and GET /api/triggers, and the server goes on serving', async () => {
    const { dir } = messaging('amqp');
    process.env.BATON_E2E_BROKER = 'amqp://guest:sekrit@127.0.0.1:1';
    const s = await serve(dir);
    await until(s, () => s.log().includes('BROKER_UNREACHABLE'), 'the problem');
    const triggers = (await json(await fetch(`${s.base}/api/triggers`))).body.triggers as Array<{ subscription: Record<string, unknown>; config: Record<string, unknown> }>;
    expect(triggers[0].subscription).toMatchObject({ connected: false, code: 'BROKER_UNREACHABLE', broker: 'amqp://guest:***@127.0.0.1:1' });
    expect(s.log()).not.toContain('sekrit');
    expect((await fetch(`${s.base}/api/workflows`)).status).toBe(200);
  }, 30_000);
});
