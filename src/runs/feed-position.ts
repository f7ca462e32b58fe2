/**
 * Where a reader of a run's feed (live-feed.ts) is, as text: the id of every item the
 * feed gives, and what a reader hands back to go on from there (the server's SSE ids and
 * Last-Event-ID).
 *
 *     12                         events up to seq 12 given; no output given (or none wanted)
 *     12.build:1:2kf,test:2:0    and the output of attempt 1 of build up to position 2kf
 *                                (base 36), of attempt 2 of test up to 0
 *
 * A position names only the attempts still going at that seq (those whose TaskSucceeded or
 * TaskFailed is not yet given): an attempt that ended before had all its output given
 * before its end, so it needs no entry. The text stays as short as the run's running
 * attempts, not as long as its history. Task keys are percent-encoded
 * (encodeURIComponent), so `.`, `:` and `,` are free to separate.
 */

/** One attempt's place in its output: `next` is where the log store resumes it. */
export interface AttemptPlace {
  task: string;
  attempt: number;
  next: number;
}

export interface FeedPosition {
  /** The last event given (0: none). */
  seq: number;
  /** The attempts with output given that had not ended at `seq`, by attemptId. */
  attempts: Map<string, AttemptPlace>;
}

/** The most attempts a position may name (a run's running attempts, with room to spare). */
const MAX_ATTEMPTS = 10_000;
const MAX_TASK_KEY = 1000;

/** The identity of an attempt within a run, as a map key. */
export function attemptId(task: string, attempt: number): string {
  return `${attempt}\u0000${task}`;
}

export function startPosition(): FeedPosition {
  return { seq: 0, attempts: new Map() };
}

/** The text of one attempt's entry. */
export function encodeAttempt(place: AttemptPlace): string {
  return `${encodeURIComponent(place.task)}:${place.attempt}:${place.next.toString(36)}`;
}

/** The text of a position whose attempts' entries (encodeAttempt) are `entries`. */
export function encodePosition(seq: number, entries: Iterable<string>): string {
  const list = [...entries];
  return list.length === 0 ? String(seq) : `${seq}.${list.join(',')}`;
}

/** A position from its text, or why it is not one. */
export function parsePosition(text: string): { position: FeedPosition } | { problem: string } {
  const dot = text.indexOf('.');
  const seqText = dot < 0 ? text : text.slice(0, dot);
  if (!/^\d{1,15}$/.test(seqText)) return { problem: 'it must start with an event seq (digits)' };
  const position: FeedPosition = { seq: Number(seqText), attempts: new Map() };
  if (dot < 0) return { position };
  const entries = text.slice(dot + 1).split(',');
  if (entries.length > MAX_ATTEMPTS) return { problem: `it names more than ${MAX_ATTEMPTS} attempts` };
  for (const entry of entries) {
    const place = parseAttempt(entry);
    if (typeof place === 'string') return { problem: `${JSON.stringify(entry.slice(0, 80))}: ${place}` };
    const id = attemptId(place.task, place.attempt);
    if (position.attempts.has(id)) return { problem: `attempt ${place.attempt} of ${JSON.stringify(place.task)} is named twice` };
    position.attempts.set(id, place);
  }
  return { position };
}

function parseAttempt(entry: string): AttemptPlace | string {
  const parts = entry.split(':');
  if (parts.length !== 3) return 'an attempt is task:attempt:position';
  const [taskText, attemptText, nextText] = parts;
  let task: string;
  try {
    task = decodeURIComponent(taskText);
  } catch {
    return 'the task key is not percent-encoded text';
  }
  if (task.length === 0 || task.length > MAX_TASK_KEY) return `a task key is 1 to ${MAX_TASK_KEY} characters`;
  if (!/^\d{1,9}$/.test(attemptText)) return 'the attempt is a number';
  const next = /^[0-9a-z]{1,11}$/.test(nextText) ? parseInt(nextText, 36) : NaN;
  if (!Number.isSafeInteger(next)) return 'the position is a number in base 36';
  return { task, attempt: Number(attemptText), next };
}
