/**
 * The publish executor: its message id is the task's idempotency key (so a second attempt
 * is the same message to JetStream), its body is JSON unless a string, and a broker's
 * failure becomes a task error that says whether a retry can help, with no password in it.
 */
import { afterAll, expect, it } from 'vitest';
import { BROKER_TEST_URLS, describeBroker, removeTestThings, uniqueName } from '../brokers/test-brokers.js';
import { keepSubscribed, type Incoming } from '../brokers/index.js';
import type { PublishTask } from '../spec/model.js';
import { taskDefaults } from '../spec/task-defaults.js';
import { ExecutorError } from './errors.js';
import { publishExecutor } from './publish.js';
import { rejection, testIO } from './test-support.js';

const task = (fields: Partial<PublishTask> & { url: string }): PublishTask => ({ ...taskDefaults(), id: 'publish', explicit_id: true, type: 'publish', headers: {}, ...fields });
const made = { streams: [] as string[] };
afterAll(() => removeTestThings(made));

it('an unreachable broker fails the task as retryable, and its password is not in the error', async () => {
  const err = await rejection(publishExecutor.run(task({ url: 'amqp://guest:hunter2@127.0.0.1:1', routing_key: 'q' }), testIO(), new AbortController().signal));
  expect(err).toBeInstanceOf(ExecutorError);
  expect(err).toMatchObject({ code: 'BROKER_UNREACHABLE', retryable: true });
  expect(err.message).toContain('amqp://guest:***@127.0.0.1:1');
  expect(err.message).not.toContain('hunter2');
});

it('a URL that is not a broker\'s (a template gave it) is not retryable', async () => {
  expect(await rejection(publishExecutor.run(task({ url: 'https://example.com', subject: 'x' }), testIO(), new AbortController().signal))).toMatchObject({ code: 'BROKER_URL', retryable: false });
});

describeBroker('nats', 'publish task on NATS', () => {
  it('sends JSON with the task\'s idempotency key as its id: a second attempt is a duplicate the stream drops', async () => {
    const url = BROKER_TEST_URLS.nats;
    const subject = uniqueName('baton.exec');
    const stream = uniqueName('BATON_EXEC');
    made.streams.push(stream);
    const got: Incoming[] = [];
    let ready: () => void = () => undefined;
    const connected = new Promise<void>((resolve) => (ready = resolve));
    const kept = keepSubscribed({ url, subject, stream, consumer: uniqueName('c') }, { onMessage: async (m) => void got.push(m), onState: (s) => (s.connected ? ready() : undefined) });
    try {
      await connected;
      const io = testIO();
      const first = await publishExecutor.run(task({ url, subject, body: { order: 1 }, headers: { 'x-a': 'b' } }), io, new AbortController().signal);
      expect(first.outputs).toEqual({ broker: 'nats', message_id: '01JTESTRUN/task-a', stream, sequence: 1, duplicate: false });
      expect(io.err.join('')).toContain(`published 11 bytes to subject ${subject} on ${url}, confirmed (stream ${stream}, sequence 1)`);
      const second = await publishExecutor.run(task({ url, subject, body: { order: 1 } }), testIO({ attempt: 2 }), new AbortController().signal);
      expect(second.outputs).toMatchObject({ sequence: 1, duplicate: true });
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ content_type: 'application/json', headers: { 'x-a': 'b' }, message_id: '01JTESTRUN/task-a' });
      expect(JSON.parse(got[0].body.toString())).toEqual({ order: 1 });
    } finally {
      await kept.stop();
    }
  });
});
