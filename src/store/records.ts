/** Helpers every store shares, so their records agree field for field. */
import { foldRunActivity } from './active-time.js';
import { StoreError, runNotFound } from './errors.js';
import type { TimedEvent } from './events.js';
import { FINISHED_RUN_STATUSES, statusAfter } from './projection.js';
import type { RunRecord, TaskRecord } from './store.js';

/**
 * Moves a run's status, end time and active time as an event says (a reopened run has no
 * end time); true if any of them changed.
 */
export function foldStatus(record: Pick<RunRecord, 'status' | 'ended_at' | 'active_ms' | 'active_since'>, event: TimedEvent): boolean {
  const active = foldRunActivity(record, event);
  const status = statusAfter(event);
  if (!status) return active;
  record.status = status;
  if (FINISHED_RUN_STATUSES.has(status)) record.ended_at = event.at;
  else delete record.ended_at;
  return true;
}

/** What foldStatus changes of a run's record: what a store folds an append's events into. */
export type RunFold = Pick<RunRecord, 'status' | 'ended_at' | 'active_ms' | 'active_since'>;

export function runFold(record: RunRecord): RunFold {
  return { status: record.status, ended_at: record.ended_at, active_ms: record.active_ms, active_since: record.active_since };
}

/** Events that change a run record's status or active time (foldStatus returns true for them). */
export function movesRun(event: TimedEvent): boolean {
  return event.type === 'RunResumed' || statusAfter(event) !== undefined;
}

export function copyRecord(record: RunRecord): RunRecord {
  const copy = record.owner ? { ...record, owner: { ...record.owner } } : { ...record };
  // A closed stretch leaves active_since undefined: records list only what is set.
  if (copy.active_since === undefined) delete copy.active_since;
  return copy;
}

/** A task row without its unset fields, as every store returns it. */
export function compactTask(row: TaskRecord): TaskRecord {
  const out = { ...row } as Record<string, unknown>;
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as unknown as TaskRecord;
}

/** Upper-cases ASCII letters only, as SQL's upper() does, so every store matches ids alike. */
export function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** The one id among `matches` (ids starting with `prefix`), or the error that says why not. */
export function pickRunId(prefix: string, matches: string[]): string {
  if (prefix === '' || matches.length === 0) throw runNotFound(prefix);
  if (matches.length === 1) return matches[0];
  const shown = matches.slice(0, 5);
  return ambiguous(prefix, shown, matches.length > shown.length, charactersApart(matches));
}

/**
 * How many leading characters tell these ids apart: one more than the longest prefix two
 * of them share (ids sorted, so neighbours share the most). Runs started minutes apart
 * share about 6 characters of their ULIDs, so a 6-character prefix is often not enough.
 */
export function charactersApart(ids: readonly string[]): number {
  const sorted = ids.map(asciiUpper).sort();
  let shared = 0;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    shared = Math.max(shared, n);
  }
  return shared + 1;
}

function ambiguous(prefix: string, shown: string[], more: boolean, apart: number): never {
  throw new StoreError(
    'STORE_RUN_AMBIGUOUS',
    `run id ${prefix} is ambiguous: it starts ${shown.join(', ')}${more ? ' and more' : ''}; use at least ${apart} characters of the id`,
    { details: { run: prefix, matches: shown, characters: apart } },
  );
}

/** What fired a run, from its first event (RunRecord.trigger); undefined for a run started by hand. */
export function triggerOf(first: TimedEvent | undefined): string | undefined {
  return first?.type === 'RunCreated' ? first.trigger?.type : undefined;
}
