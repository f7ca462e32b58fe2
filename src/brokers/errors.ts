/**
 * Errors of the broker clients, shared by the publish task and the message trigger. Each
 * says whether trying again could help (`retryable`): a broker that is down or did not
 * confirm in time may answer later; one that refuses the credentials or the message will
 * refuse it again.
 */
import { BatonError } from '../observability/errors.js';

export type BrokerErrorCode =
  /** The URL is not a broker's (scheme, host). Not retryable. */
  | 'BROKER_URL'
  /** The broker could not be reached, or the connection dropped before it answered. Retryable. */
  | 'BROKER_UNREACHABLE'
  /** The broker refused the credentials. Not retryable. */
  | 'BROKER_AUTH'
  /** The broker refused the message or the subscription: no stream captures the subject, no such exchange, no queue takes the routing key, not permitted. Not retryable. */
  | 'BROKER_REFUSED'
  /** The broker did not confirm the message in time, or said it could not keep it. Retryable. */
  | 'BROKER_UNCONFIRMED';

export class BrokerError extends BatonError {
  declare readonly code: BrokerErrorCode;
  readonly retryable: boolean;

  constructor(code: BrokerErrorCode, message: string, options: { retryable: boolean; cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, { cause: options.cause, details: options.details });
    this.retryable = options.retryable;
  }
}

/** A socket-level failure's words (ECONNREFUSED, ETIMEDOUT...), from the error or its cause. */
export function networkReason(err: unknown): string {
  const seen = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (Array.isArray(seen.errors) && seen.errors.length > 0) return networkReason(seen.errors[0]);
  const message = typeof seen.message === 'string' && seen.message !== '' ? seen.message : String(err);
  if (seen.cause instanceof Error && !message.includes(seen.cause.message)) return `${message}: ${networkReason(seen.cause)}`;
  return typeof seen.code === 'string' && !message.includes(seen.code) ? `${seen.code}: ${message}` : message;
}
