/**
 * API tokens: `baton_<id>_<secret>`. The id (12 characters) names the token in lists, logs
 * and the audit trail and finds its row; the secret (43 characters, 256 random bits) is
 * shown once, when the token is made, and only its SHA-256 is stored. A slow hash would add
 * nothing: the secret is random, not a password a dictionary could guess, and a fast one
 * keeps checking a request well under a tenth of a millisecond.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TOKEN = /^baton_([0-9a-hjkmnp-tv-z]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewToken {
  id: string;
  /** The whole token, for the person who asked for it: never stored. */
  token: string;
  /** The SHA-256 of its secret, hex: what is stored. */
  hash: string;
}

export function newToken(): NewToken {
  const idBytes = randomBytes(12);
  const id = [...idBytes].map((b) => ALPHABET[b % 32]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `baton_${id}_${secret}`, hash: hashSecret(secret) };
}

/** The id and secret of a token, or undefined when `text` is not shaped like one. */
export function parseToken(text: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(text);
  return match ? { id: match[1], secret: match[2] } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether `secret` is the one `hash` was made from, in time that does not depend on where they differ. */
export function secretMatches(secret: string, hash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const kept = Buffer.from(hash, 'hex');
  return given.length === kept.length && timingSafeEqual(given, kept);
}
