/**
 * publish: one message to a broker (NATS JetStream, AMQP, MQTT), succeeding only once the
 * broker confirmed it (src/brokers). The message's id is the task's idempotency key
 * (`runId/taskKey`) unless `message_id` says otherwise: the same on every attempt and
 * after a resume, so JetStream drops a second copy within its duplicate window, and a
 * consumer that dedupes on ids (baton's message trigger does) sees one message.
 * Outputs: `broker`, `message_id`, and for NATS `stream`, `sequence` and `duplicate`.
 */
import { BrokerError, publish, redactUrl, type Outgoing } from '../brokers/index.js';
import type { PublishTask } from '../spec/model.js';
import { abortedError, ExecutorError } from './errors.js';
import type { Executor } from './types.js';

export const publishExecutor: Executor<PublishTask> = {
  async run(task, io, signal) {
    if (signal.aborted) throw abortedError(signal, `publishing to ${redactUrl(task.url)}`);
    const text = typeof task.body === 'string';
    const message: Outgoing = {
      url: task.url,
      ...(task.subject !== undefined ? { subject: task.subject } : {}),
      ...(task.exchange !== undefined ? { exchange: task.exchange } : {}),
      ...(task.routing_key !== undefined ? { routing_key: task.routing_key } : {}),
      ...(task.topic !== undefined ? { topic: task.topic } : {}),
      body: task.body === undefined ? Buffer.alloc(0) : Buffer.from(text ? (task.body as string) : JSON.stringify(task.body)),
      ...(task.body !== undefined && !text ? { content_type: 'application/json' } : {}),
      headers: task.headers,
      message_id: task.message_id !== undefined && task.message_id !== '' ? task.message_id : io.idempotencyKey,
      ...(task.qos !== undefined ? { qos: task.qos } : {}),
      ...(task.retain !== undefined ? { retain: task.retain } : {}),
      ...(task.persistent !== undefined ? { persistent: task.persistent } : {}),
    };
    const where = destination(task);
    let receipt;
    try {
      receipt = await abortable(publish(message), signal, `publishing to ${where}`);
    } catch (err) {
      if (err instanceof ExecutorError) throw err;
      if (err instanceof BrokerError) throw new ExecutorError(err.code, `task ${io.taskKey}: ${err.message}`, { retryable: err.retryable, cause: err, ...(err.details ? { details: err.details } : {}) });
      throw err;
    }
    const stored = receipt.sequence !== undefined ? ` (stream ${receipt.stream}, sequence ${receipt.sequence}${receipt.duplicate ? ': a duplicate of a message it had, not stored again' : ''})` : '';
    io.stderr(`published ${message.body.length} bytes to ${where} on ${redactUrl(task.url)}, confirmed${stored}; message id ${receipt.message_id}\n`);
    return { outputs: { ...receipt } };
  },
};

function destination(task: PublishTask): string {
  if (task.subject !== undefined) return `subject ${task.subject}`;
  if (task.topic !== undefined) return `topic ${task.topic}`;
  return task.exchange ? `exchange ${task.exchange} (routing key ${task.routing_key ?? ''})` : `queue ${task.routing_key ?? ''}`;
}

/** The publish, or EXEC_ABORTED as soon as the signal fires (the broker may still take the message: its id dedupes a retry). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
