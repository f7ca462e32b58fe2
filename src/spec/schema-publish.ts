/**
 * The file fields of the publish task type, spread into the one task schema of schema.ts
 * (`url`, `headers` and `body` are shared with http). normalize-publish.ts checks what a
 * schema cannot say: which fields go with which broker.
 */
import { z } from 'zod';
import { bool, expected, str } from './schema-kit.js';

export const publishFields = {
  subject: str('Publish to NATS: the subject; a JetStream stream must capture it. May use ${ } templates.'),
  exchange: str('Publish to AMQP: the exchange; default "" (the default exchange, where the routing key is a queue\'s name). May use ${ } templates.'),
  routing_key: str('Publish to AMQP: the routing key (with the default exchange: the queue\'s name). May use ${ } templates.'),
  topic: str('Publish to MQTT: the topic (no wildcards). May use ${ } templates.'),
  message_id: str("Publish: the message's id (NATS Nats-Msg-Id, AMQP message_id, MQTT user property message-id). Default: the run's id and the task's key, the same on every attempt, so a message published again after a crash is known as the same one. May use ${ } templates."),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)], expected('expected 0, 1 or 2')).describe('Publish to MQTT: quality of service: 0 (not confirmed), 1 (confirmed by PUBACK; default) or 2.'),
  retain: bool('Publish to MQTT: the broker keeps the message for later subscribers. Default false.'),
  persistent: bool('Publish to AMQP: the broker writes the message to disk (delivery mode 2). Default true.'),
};

/** The config fields of a `message` trigger (docs/server.md#messages), spread into the trigger's config schema. */
export const messageTriggerFields = {
  url: str('For type message: the broker, nats://, amqp://, amqps://, mqtt:// or mqtts://, or a template over env ("${ env.BROKER_URL }"), read from the server\'s environment. Its password is never shown.'),
  subject: str('For type message on NATS: the subject (wildcards allowed) a durable JetStream consumer reads.'),
  stream: str('For type message on NATS: the JetStream stream; made, capturing the subject, when missing. Default: the stream that captures the subject.'),
  queue: str('For type message on AMQP: the queue consumed; declared durable when missing.'),
  exchange: str('For type message on AMQP: an exchange the queue is bound to (with routing_key).'),
  routing_key: str('For type message on AMQP: the binding of the queue to the exchange. Default #.'),
  topic: str('For type message on MQTT: the topic filter (+ one level, # the rest).'),
  consumer: str('For type message: the NATS durable consumer name, the MQTT client id (1-64 letters, digits, _ and -). Default: made from the workflow and where it reads.'),
  format: z.enum(['auto', 'json', 'text']).describe('For type message: how the body is read into trigger.message.body: auto (JSON when it is; default), json (a body that is not JSON is refused, recorded and acknowledged), text.'),
  prefetch: z.number(expected('expected a whole number')).int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }).max(10_000, { error: 'must be at most 10000' }).describe('For type message: messages the broker sends ahead of their acknowledgement. Default 16.'),
};
