/**
 * Run ids are ULIDs: 48 bits of time then 80 random bits, in Crockford base32, so ids
 * sort by creation time and abbreviate well (`baton status 01JD...`).
 */
import { createHash, randomBytes } from 'node:crypto';

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

/**
 * A run id derived from another and a salt: the same every time for the same pair. A
 * workflow task that runs a child run (`uses:`) gets its child's id this way, so a resume
 * after a crash finds the child it started instead of starting a second one. It sorts
 * with its parent (same time part) and is a ULID like any other.
 */
export function derivedRunId(parentId: string, salt: string): string {
  const digest = createHash('sha256').update(`${parentId}\0${salt}`).digest();
  let tail = '';
  for (let i = 0; i < 16; i++) tail += ALPHABET[digest[i] & 31];
  return parentId.slice(0, 10) + tail;
}

/**
 * The child run of task `key` (a `uses:` skill, a `workflow` task): the same on every
 * attempt and after a resume, a new one after `baton retry` set the task back (`reopens`).
 * Views derive it the same way to show a task's child run.
 */
export function taskChildRunId(parentId: string, key: string, reopens: number): string {
  return derivedRunId(parentId, `${key}#${reopens}`);
}
