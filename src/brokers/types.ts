/**
 * What the broker clients (nats.ts, amqp.ts, mqtt.ts) take and give: one message out,
 * confirmed, for the publish task; a durable subscription in, each message handed on and
 * acknowledged only once its handler resolves, for the message trigger.
 *
 * Where a message goes, in each broker's own words: a NATS `subject` (captured by a
 * JetStream stream), an AMQP `exchange` and `routing_key` (the default exchange `""` with
 * a queue's name as routing key sends to that queue), an MQTT `topic`.
 */
import type { BrokerKind } from './broker-url.js';

/** One message to publish. */
export interface Outgoing {
  url: string;
  subject?: string;
  exchange?: string;
  routing_key?: string;
  topic?: string;
  body: Buffer;
  /** Set as the content type (AMQP property, MQTT 5 property, NATS header). */
  content_type?: string;
  headers: Record<string, string>;
  /**
   * The message's identity: JetStream's Nats-Msg-Id (the stream drops a second message
   * with it within its duplicate window), AMQP's message_id, an MQTT 5 user property
   * `message-id`. A message trigger of baton dedupes on it.
   */
  message_id: string;
  /** MQTT: 0, 1 or 2; default 1. */
  qos?: 0 | 1 | 2;
  /** MQTT: kept by the broker for later subscribers; default false. */
  retain?: boolean;
  /** AMQP: written to disk by the broker (delivery mode 2); default true. */
  persistent?: boolean;
  /** Most time to wait for the broker's confirmation, in ms; default 10 s. */
  timeout_ms?: number;
}

/** What the broker said when it took a message. */
export interface Receipt {
  broker: BrokerKind;
  message_id: string;
  /** JetStream: the stream that stored it and its sequence there; `duplicate` when the stream had it already (same message_id). */
  stream?: string;
  sequence?: number;
  duplicate?: boolean;
}

/** Where a subscription reads, per broker; the names are how the trigger's config spells them. */
export interface SubscribeTo {
  url: string;
  /** NATS: the subject (wildcards allowed) a durable JetStream consumer filters on. */
  subject?: string;
  /** NATS: the stream; made (capturing `subject`) when missing. Default: the stream that captures `subject`. */
  stream?: string;
  /** AMQP: the queue consumed, declared durable when missing. */
  queue?: string;
  /** AMQP: an exchange the queue is bound to, with `routing_key` (default `#`). */
  exchange?: string;
  routing_key?: string;
  /** MQTT: the topic filter (`+`, `#` allowed). */
  topic?: string;
  /** NATS durable consumer name; MQTT client id (the session the broker keeps). */
  consumer: string;
  /** Messages the broker sends ahead of their acknowledgement; default 16. */
  prefetch?: number;
}

/** One message received; its handler resolving is what acknowledges it. */
export interface Incoming {
  broker: BrokerKind;
  /** NATS: the subject it was published to. */
  subject?: string;
  /** AMQP: the queue it came from, the exchange and routing key it was published with. */
  queue?: string;
  exchange?: string;
  routing_key?: string;
  /** MQTT: the topic it was published to. */
  topic?: string;
  body: Buffer;
  content_type?: string;
  headers: Record<string, string>;
  /** What the publisher named it (Nats-Msg-Id, AMQP message_id, MQTT 5 user property `message-id`). */
  message_id?: string;
  /** NATS: the stream and the message's sequence in it. */
  stream?: string;
  sequence?: number;
  /** The broker says it may have been delivered before (JetStream's count, AMQP's redelivered flag, MQTT's DUP). */
  redelivered: boolean;
  /**
   * What makes a redelivery the same message, for the record of firings: the stream and
   * sequence (NATS), or the publisher's message id (AMQP, MQTT); none when the message
   * has no identity (an AMQP or MQTT message published without one).
   */
  delivery?: string;
}

export interface SubscribeHandlers {
  /**
   * Takes one message; resolving acknowledges it. Rejecting leaves it unacknowledged: the
   * connection is dropped and made again after a back-off, and the broker delivers it again.
   */
  onMessage(message: Incoming): Promise<void>;
  /** The subscription's state changed: connected, or why it is not (it tries again by itself). */
  onState(state: SubscriptionState): void;
}

export interface SubscriptionState {
  connected: boolean;
  /** Why not, with the stable code of the broker error. */
  problem?: string;
  code?: string;
  /** When it tries again (ms since epoch). */
  retry_at?: number;
}

/** One open connection of a subscription; `ended` settles when it closes for any reason. */
export interface Session {
  ended: Promise<unknown>;
  close(): Promise<void>;
}

/** Opens a connection and its consumer; what keepSubscribed (subscribe.ts) calls again after each end. */
export type OpenSession = (handlers: SubscribeHandlers) => Promise<Session>;
