/**
 * A broker is named by its URL: `nats://` (NATS with JetStream), `amqp://` or `amqps://`
 * (RabbitMQ and other AMQP 0-9-1 brokers), `mqtt://` or `mqtts://` (MQTT 5). The URL may
 * hold credentials (`amqp://user:pass@host`), so every message, log line and view that
 * names a broker names it by `redactUrl`, never by the URL as given.
 */
import { BROKER_SCHEMES, brokerKindOf, type BrokerKind } from '../spec/broker-kind.js';
import { BrokerError } from './errors.js';

export { BROKER_SCHEMES, brokerKindOf, type BrokerKind };

/** The URL with its password (or a lone user name, which NATS reads as a token) as `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    else if (parsed.username !== '') parsed.username = '***';
    else return url;
    return parsed.toString();
  } catch {
    // Not a URL at all: whatever sits between `//` and `@` may still be a secret.
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

/** The URL parsed, with its kind; BROKER_URL (saying which schemes work) when it is not a broker's. */
export function parseBrokerUrl(url: string, where: string): { kind: BrokerKind; url: URL } {
  const kind = brokerKindOf(url);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.trim());
  } catch {
    parsed = undefined;
  }
  if (kind === undefined || parsed === undefined || parsed.hostname === '') {
    throw new BrokerError('BROKER_URL', `${where}: ${JSON.stringify(redactUrl(url))} is not a broker URL: it starts with ${BROKER_SCHEMES} and names a host`, {
      retryable: false,
      details: { url: redactUrl(url) },
    });
  }
  return { kind, url: parsed };
}
