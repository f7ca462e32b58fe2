/**
 * Checking a webhook delivery before it fires anything: its signature (HMAC-SHA256 of the
 * raw body with the trigger's secret, compared in constant time), the age of its signed
 * timestamp, and its body. Two forms are accepted:
 *
 * - baton's: `X-Baton-Timestamp: <unix seconds>` and `X-Baton-Signature: sha256=<hex>`,
 *   the HMAC of `<timestamp>.<body>`. A delivery signed longer ago than the tolerance is
 *   refused, so a captured one cannot be sent again later; within the tolerance, the
 *   signature itself is the delivery's identity, and the store refuses it a second time.
 * - GitHub's: `X-Hub-Signature-256: sha256=<hex>`, the HMAC of the body. GitHub signs no
 *   timestamp, so replays are caught by identity alone: the signature (a body sent again
 *   under a new X-GitHub-Delivery id is still the same body), with the delivery id kept
 *   for the record.
 *
 * Pure: the caller reads the secret from the environment and records the outcome.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BatonError } from '../observability/errors.js';
import { parseJson } from '../expr/safe-json.js';

/** Default tolerance between a signed timestamp and the server's clock. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;
/** The largest body a webhook takes: GitHub's push payloads can reach a few MB. */
export const MAX_HOOK_BODY_BYTES = 5 * 1024 * 1024;
/** Headers a run sees as trigger.headers: what says what the delivery is, never credentials. */
const KEPT_HEADERS = ['content-type', 'user-agent', 'x-github-event', 'x-github-delivery', 'x-github-hook-id', 'x-baton-delivery', 'x-request-id', 'x-gitlab-event'];

export interface Delivery {
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface Verified {
  /** The delivery's identity for replay detection (its signature, or a delivery id header); none when unsigned and unnamed. */
  delivery?: string;
  /** The parsed body: JSON, the JSON of a form's `payload` field (GitHub's form content type), a form, or text. */
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Checks a delivery: with a secret, the signature (WEBHOOK_SIGNATURE) and, in baton's
 * form, the timestamp (WEBHOOK_STALE); then the body (WEBHOOK_PAYLOAD).
 */
export function verifyDelivery(delivery: Delivery, secret: string | undefined, options: { toleranceMs?: number; now?: number } = {}): Verified {
  const h = delivery.headers;
  let identity: string | undefined = h['x-baton-delivery'] ?? h['x-github-delivery'];
  if (secret !== undefined) identity = checkSignature(delivery, secret, options.toleranceMs ?? DEFAULT_TOLERANCE_MS, options.now ?? Date.now());
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) if (h[name] !== undefined) headers[name] = h[name];
  return { ...(identity !== undefined ? { delivery: identity } : {}), payload: parsePayload(delivery.body, h['content-type'] ?? ''), headers };
}

/** The signature's identity when it is right; throws when it is missing, malformed or wrong. */
function checkSignature(delivery: Delivery, secret: string, toleranceMs: number, now: number): string {
  const h = delivery.headers;
  const baton = h['x-baton-signature'];
  const github = h['x-hub-signature-256'];
  if (baton !== undefined) {
    const stamp = h['x-baton-timestamp'];
    if (stamp === undefined || !/^\d{1,12}$/.test(stamp)) {
      throw refused('WEBHOOK_SIGNATURE', 'X-Baton-Signature needs X-Baton-Timestamp: the unix time in seconds the delivery was signed at', 'sign `<timestamp>.<body>` and send both headers');
    }
    const skew = Math.abs(now - Number(stamp) * 1000);
    if (skew > toleranceMs) {
      throw refused('WEBHOOK_STALE', `the delivery was signed ${Math.round(skew / 1000)}s from the server's clock, more than the trigger's tolerance of ${Math.round(toleranceMs / 1000)}s`, "send it again freshly signed, or check the sender's clock");
    }
    const expected = hmac(secret, Buffer.concat([Buffer.from(`${stamp}.`), delivery.body]));
    if (!sameSignature(baton, expected)) throw refused('WEBHOOK_SIGNATURE', 'X-Baton-Signature does not match the body: the secret differs, or the body was changed', 'sign `<timestamp>.<raw body>` with HMAC-SHA256 and the secret in the trigger\'s secret_env');
    return `sha256=${expected}`;
  }
  if (github !== undefined) {
    const expected = hmac(secret, delivery.body);
    if (!sameSignature(github, expected)) throw refused('WEBHOOK_SIGNATURE', 'X-Hub-Signature-256 does not match the body: the secret differs from the one the sender has, or the body was changed', "set the same secret in the sender and in the variable the trigger's secret_env names");
    return `sha256=${expected}`;
  }
  throw refused('WEBHOOK_SIGNATURE', 'the delivery is not signed: this webhook takes only deliveries signed with its secret', 'send X-Baton-Timestamp and X-Baton-Signature (or GitHub\'s X-Hub-Signature-256)');
}

function hmac(secret: string, data: Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** `sha256=<hex>` against the expected hex, in time that does not depend on where they differ. */
function sameSignature(header: string, expectedHex: string): boolean {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (m === null) return false;
  return timingSafeEqual(Buffer.from(m[1].toLowerCase(), 'hex'), Buffer.from(expectedHex, 'hex'));
}

function parsePayload(body: Buffer, contentType: string): unknown {
  const type = contentType.split(';')[0].trim().toLowerCase();
  const text = body.toString('utf8');
  if (type === 'application/json' || type.endsWith('+json')) return json(text, 'the body');
  if (type === 'application/x-www-form-urlencoded') {
    const form = Object.fromEntries(new URLSearchParams(text));
    // GitHub's form content type sends the JSON payload as the field `payload`.
    return typeof form.payload === 'string' && Object.keys(form).length === 1 ? json(form.payload, 'the form field payload') : form;
  }
  return text;
}

function json(text: string, what: string): unknown {
  if (text.trim() === '') return null;
  try {
    return parseJson(text, `webhook payload (${what})`, { maxLength: MAX_HOOK_BODY_BYTES });
  } catch (err) {
    if (err instanceof BatonError) throw err;
    throw refused('WEBHOOK_PAYLOAD', `${what} is not JSON, as its content type says: ${(err as Error).message}`, 'send JSON, or another content type (the body is then given as text)');
  }
}

function refused(code: string, message: string, hint: string): BatonError {
  return new BatonError(code, `${message}; ${hint}`);
}
