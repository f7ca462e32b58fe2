/**
 * Run ids are ULIDs: 48 bits of time then 80 random bits, in Crockford base32, so ids
 * sort by creation time and abbreviate well (`baton status 01JD...`).
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newRunId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += ALPHABET[bytes[i] & 31];
  return time + random;
}
