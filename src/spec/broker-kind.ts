/**
 * Which broker a URL names, by its scheme: what the publish task and the message trigger
 * check in a file (a literal URL) and what the broker clients dispatch on (src/brokers).
 */
export type BrokerKind = 'nats' | 'amqp' | 'mqtt';

const KINDS: Readonly<Record<string, BrokerKind>> = { 'nats:': 'nats', 'amqp:': 'amqp', 'amqps:': 'amqp', 'mqtt:': 'mqtt', 'mqtts:': 'mqtt' };
export const BROKER_SCHEMES = 'nats://, amqp://, amqps://, mqtt:// or mqtts://';

/** The kind of broker a URL names; undefined for any other URL (or text that is none). */
export function brokerKindOf(url: string): BrokerKind | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url.trim())?.[1]?.toLowerCase();
  return scheme === undefined ? undefined : KINDS[scheme];
}

/** The fields that say where a message goes (publish) or comes from (message trigger), per broker. */
export const DESTINATION_FIELDS: Readonly<Record<BrokerKind, readonly string[]>> = {
  nats: ['subject', 'stream'],
  amqp: ['queue', 'exchange', 'routing_key'],
  mqtt: ['topic'],
};
