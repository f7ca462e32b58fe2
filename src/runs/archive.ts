/**
 * The run export format (`baton export` / `baton import`; below the front ends, so the
 * server's export will be the same): JSON Lines, a header then the run's events in seq
 * order.
 *
 *   {"format":"baton-run","version":1,"run":{"id":"01K...","workflow":"deploy",...}}
 *   {"seq":1,"type":"RunCreated","at":1763826001123,...}
 *   {"seq":2,"type":"RunStarted","at":...}
 *
 * The events are the truth (shared/DESIGN.md): importing them into another store rebuilds
 * the run, its status and its task projection there. `run` is the RunRecord without its
 * owner and heartbeat (a process on another machine means nothing here), for readers that
 * want the summary without folding the events.
 *
 * The reader checks every line and reports each problem with `file:line`; a file with any
 * problem imports nothing. A version newer than this baton knows is refused, not guessed at.
 * Once every line reads, the events are checked against the run's own workflow snapshot
 * (engine/check-log.ts): unknown tasks and impossible orders are refused the same way.
 */
import { checkRunLog } from '../engine/check-log.js';
import { DataError, parseJson } from '../expr/safe-json.js';
import type { RunEventType, StoredEvent, TimedEvent } from '../store/events.js';
import type { RunRecord } from '../store/store.js';

export const ARCHIVE_FORMAT = 'baton-run';
export const ARCHIVE_VERSION = 1;
/** Problems listed before the reader gives up on a file. */
const MAX_PROBLEMS = 20;

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  run: Omit<RunRecord, 'owner' | 'heartbeat_at'>;
}

export function headerLine(record: RunRecord): string {
  const { owner: _owner, heartbeat_at: _heartbeat, ...run } = record;
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, run };
  return JSON.stringify(header);
}

export function eventLine(event: StoredEvent): string {
  return JSON.stringify(event);
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/**
 * The fields each event type must have, beyond `seq`, `type` and `at`. Keyed by every event
 * type, so adding one to store/events.ts fails the type check until it is listed here.
 */
const EVENT_FIELDS = {
  RunCreated: { workflow: 'object', inputs: 'object', env: 'object' },
  RunStarted: {},
  RunResumed: { owner: 'object' },
  RunReopened: { tasks: 'array' },
  RunCompensating: { tasks: 'array', end: 'object' },
  TaskReady: { task: 'string' },
  TaskStarted: { task: 'string', attempt: 'number' },
  // `items` (compact) or `children` (recorded before): checked against the snapshot by engine/check-log.ts.
  TaskExpanded: { task: 'string' },
  TaskInterrupted: { task: 'string', attempt: 'number' },
  TaskBranched: { task: 'string', branch: 'string', condition: 'boolean' },
  TaskSucceeded: { task: 'string', attempt: 'number', outputs: 'object' },
  TaskFailed: { task: 'string', attempt: 'number', error: 'object', retryable: 'boolean' },
  TaskRetryScheduled: { task: 'string', attempt: 'number', at_due: 'number' },
  TaskAwaitingResources: { task: 'string', attempt: 'number', pools: 'array' },
  CircuitChanged: { task: 'string', attempt: 'number', circuit: 'string', state: 'string' },
  TaskProgress: { task: 'string', attempt: 'number' },
  TaskSkipped: { task: 'string', reason: 'string' },
  TaskCancelled: { task: 'string', reason: 'string' },
  RunCancelRequested: { reason: 'string' },
  RunWaiting: { waits: 'array' },
  RunWoke: {},
  WaitAnswered: { task: 'string', answer: 'object' },
  TaskPaused: { task: 'string', attempt: 'number', error: 'object' },
  RunSucceeded: {},
  RunFailed: { error: 'object' },
  RunCancelled: { reason: 'string' },
  RunQueued: { priority: 'number', reason: 'string' },
  RunAdmitted: {},
} satisfies Record<RunEventType, Record<string, Kind>>;

export interface ArchiveProblem {
  line: number;
  code: string;
  message: string;
}

export interface ReadArchive {
  header: ArchiveHeader;
  /** Without `seq`: the store numbers them again, in the same order. */
  events: TimedEvent[];
}

/**
 * Checks an export line by line. Feed it every line (`add`), then `finish()`: the run, or
 * the problems found (at most MAX_PROBLEMS, then it stops looking).
 */
export class ArchiveReader {
  private header?: ArchiveHeader;
  private readonly events: TimedEvent[] = [];
  /** The line each event was read from. */
  private readonly eventLines: number[] = [];
  private readonly problems: ArchiveProblem[] = [];
  private lineNo = 0;
  private headerLineNo = 0;
  private seq = 0;

  /** True once enough problems are found that reading on is pointless. */
  get full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  add(text: string): void {
    this.lineNo++;
    if (this.full || text.trim() === '') return;
    let value: unknown;
    try {
      value = parseJson(text, 'the line');
    } catch (error) {
      if (error instanceof DataError) this.problem(error.code, error.message);
      else this.problem('IMPORT_JSON', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
      if (this.headerLineNo === 0) this.headerLineNo = this.lineNo;
      // Take it for the event that should be here, so the next lines are numbered as expected.
      else this.seq++;
      return;
    }
    if (this.headerLineNo === 0) this.readHeader(value);
    else this.readEvent(value);
  }

  finish(): { run: ReadArchive } | { problems: ArchiveProblem[] } {
    if (this.headerLineNo === 0 && this.problems.length === 0) {
      this.problems.push({ line: Math.max(1, this.lineNo), code: 'IMPORT_EMPTY', message: 'the file is empty: expected a run exported by `baton export`' });
    } else if (this.header !== undefined && this.events.length === 0 && this.problems.length === 0) {
      this.problems.push({ line: this.lineNo, code: 'IMPORT_NO_EVENTS', message: 'the header is not followed by any event' });
    }
    if (this.problems.length === 0 && this.header !== undefined) {
      for (const p of checkRunLog(this.events, MAX_PROBLEMS)) this.problems.push({ line: this.eventLines[p.index], code: p.code, message: p.message });
    }
    if (this.problems.length > 0 || this.header === undefined) return { problems: this.problems };
    return { run: { header: this.header, events: this.events } };
  }

  private readHeader(value: unknown): void {
    this.headerLineNo = this.lineNo;
    const header = isObject(value) ? value : {};
    if (header.format !== ARCHIVE_FORMAT) {
      const looksLikeEvent = typeof header.type === 'string' && typeof header.seq === 'number';
      this.problem(
        'IMPORT_NO_HEADER',
        looksLikeEvent
          ? 'the header line is missing: an export starts with {"format":"baton-run","version":1,"run":{...}}'
          : `not a baton run export: the first line must be {"format":"baton-run","version":1,"run":{...}}`,
      );
      return;
    }
    if (typeof header.version !== 'number' || !Number.isInteger(header.version) || header.version < 1) {
      this.problem('IMPORT_VERSION', '`version` must be a whole number');
      return;
    }
    if (header.version > ARCHIVE_VERSION) {
      this.problem(
        'IMPORT_VERSION_TOO_NEW',
        `the export is version ${header.version}, newer than this baton reads (${ARCHIVE_VERSION}): import it with a newer baton`,
      );
      return;
    }
    const run = isObject(header.run) ? header.run : undefined;
    if (run === undefined) return this.problem('IMPORT_HEADER', 'the header has no `run` object');
    if (typeof run.id !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(run.id)) return this.problem('IMPORT_HEADER', '`run.id` must be a run id');
    if (typeof run.workflow !== 'string' || run.workflow === '') return this.problem('IMPORT_HEADER', '`run.workflow` must be a workflow name');
    if (typeof run.created_at !== 'number' || !Number.isFinite(run.created_at)) {
      return this.problem('IMPORT_HEADER', '`run.created_at` must be a time (ms since epoch)');
    }
    this.header = header as unknown as ArchiveHeader;
  }

  private readEvent(value: unknown): void {
    if (!isObject(value)) return this.problem('IMPORT_EVENT', 'expected an event object');
    const type = value.type;
    const named = typeof type === 'string' ? type : 'event';
    // seq first, so one bad line does not make every later one look out of order.
    const seq = value.seq;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      this.seq++;
      return this.problem('IMPORT_SEQ', `${named}: \`seq\` must be a whole number`);
    }
    const expected = this.seq + 1;
    this.seq = seq;
    if (seq !== expected) {
      const what = seq < expected ? `repeats or goes back (expected ${expected})` : `leaves a gap (expected ${expected})`;
      return this.problem('IMPORT_SEQ', `${named}: seq ${seq} ${what}: events must be numbered 1, 2, 3... in order`);
    }
    if (typeof type !== 'string' || !Object.hasOwn(EVENT_FIELDS, type)) {
      const known = Object.keys(EVENT_FIELDS).join(', ');
      return this.problem('IMPORT_EVENT_TYPE', typeof type === 'string' ? `unknown event type '${type}' (known: ${known})` : 'the event has no `type`');
    }
    if (typeof value.at !== 'number' || !Number.isFinite(value.at)) return this.problem('IMPORT_EVENT', `${type}: \`at\` must be a time (ms since epoch)`);
    if (seq === 1 && type !== 'RunCreated') return this.problem('IMPORT_EVENT', `the first event must be RunCreated, not ${type}`);
    for (const [field, kind] of Object.entries(EVENT_FIELDS[type as RunEventType] as Record<string, Kind>)) {
      if (kindOf(value[field]) !== kind) return this.problem('IMPORT_EVENT', `${type}: \`${field}\` must be ${article(kind)}`);
    }
    const { seq: _seq, ...event } = value;
    this.events.push(event as unknown as TimedEvent);
    this.eventLines.push(this.lineNo);
  }

  private problem(code: string, message: string): void {
    if (!this.full) this.problems.push({ line: this.lineNo, code, message });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): Kind | 'other' {
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' ? t : 'other';
}

function article(kind: Kind): string {
  return kind === 'object' || kind === 'array' ? `an ${kind}` : `a ${kind}`;
}
