/**
 * What `baton serve`'s triggers keep in the store: each firing (those that started a run
 * and those filtered out or refused, with why), named events waiting to be delivered to
 * event triggers (`baton emit` from any process), schedules added without editing a file,
 * and where the server's readers of events and run ends got to. Memory and SQLite
 * implement it and pass one contract (contract-triggers.ts).
 */
import type { RunStatus } from './events.js';

export type FiringOutcome = 'started' | 'filtered' | 'refused' | 'duplicate' | 'failed';

export interface Firing {
  /** Increasing: later firings have larger ids. */
  id: number;
  /** The namespace of the workflow it fired (`default` when unset). */
  namespace?: string;
  workflow: string;
  /** The trigger's type: schedule, webhook, file_change, event, message. */
  trigger: string;
  /** What fired it: the webhook path, the event name, the schedule, the run that ended. */
  source: string;
  at: number;
  outcome: FiringOutcome;
  /** Why it started no run, for the outcomes other than `started`. */
  reason?: string;
  /** The stable error code of a refusal (WEBHOOK_SIGNATURE...). */
  code?: string;
  run_id?: string;
  /**
   * What makes a delivery the same delivery (GitHub's X-GitHub-Delivery, a signature, an
   * event's number): a second firing with the delivery of a recorded one is refused as a
   * duplicate, whoever records it.
   */
  delivery?: string;
}

export type NewFiring = Omit<Firing, 'id'>;

export interface FiringFilter {
  /** Only this namespace's firings. */
  namespace?: string;
  workflow?: string;
  outcome?: FiringOutcome;
  /** Only firings older than this id (the last id of a page, for the next page). */
  before?: number;
  /** Most recent first; default 50. */
  limit?: number;
}

/** A named event as `baton emit` or POST /api/events/{name} recorded it. */
export interface EmittedEvent {
  /** Increasing over the store. */
  seq: number;
  /** Only waits and event triggers of this namespace take it (`default` when unset). */
  namespace?: string;
  name: string;
  data: unknown;
  at: number;
  /** Only this run's waits may take it (`baton emit --run`); event triggers ignore it. */
  run_id?: string;
}

/** A schedule added with `baton schedule add`, or the pause of one declared in a file. */
export interface ScheduleRow {
  /** `added:<n>` for an added one (unique over the store); `file:<workflow>:<n>` for a file's n-th schedule (unique in its namespace). */
  id: string;
  /** The namespace of its workflow (`default` when unset). */
  namespace?: string;
  workflow: string;
  /** The workflow file, for an added schedule. */
  file?: string;
  cron?: string;
  timezone?: string;
  missed?: 'skip' | 'run-once';
  paused: boolean;
  created_at: number;
}

/** Where a run-end reader got to: the last run seen, by (ended_at, id). */
export interface EndCursor {
  ended_at: number;
  id: string;
}

/** A run that ended, for workflow_run triggers. */
export interface EndedRun {
  id: string;
  namespace: string;
  workflow: string;
  status: RunStatus;
  ended_at: number;
}

export interface TriggerStore {
  /**
   * Records a firing. With a `delivery` already recorded for the workflow, nothing is
   * added and the earlier firing is returned as `duplicate` (atomically: of two servers
   * recording one delivery, one gets it).
   */
  recordFiring(firing: NewFiring): Promise<{ firing: Firing } | { duplicate: Firing }>;
  /* A delivery is the same delivery within one workflow of one namespace. */
  /** Sets the run a firing started, and its outcome when starting failed. */
  updateFiring(id: number, change: Pick<Firing, 'outcome'> & Partial<Pick<Firing, 'run_id' | 'reason' | 'code'>>): Promise<void>;
  listFirings(filter?: FiringFilter): Promise<Firing[]>;
  /** Records a named event for event triggers; returns its seq. */
  recordEmitted(event: Omit<EmittedEvent, 'seq'>): Promise<number>;
  /** Emitted events after `seq`, oldest first, at most `limit`. */
  emittedAfter(seq: number, limit: number): Promise<EmittedEvent[]>;
  /** The seq of the newest emitted event (0 when none). */
  lastEmitted(): Promise<number>;
  /** Runs that ended after `cursor` (by ended_at, then id), oldest first, at most `limit`. */
  runsEndedAfter(cursor: EndCursor, limit: number): Promise<EndedRun[]>;
  /** A value kept by name (a reader's position): undefined until set. */
  getCursor(name: string): Promise<string | undefined>;
  setCursor(name: string, value: string): Promise<void>;
  /** Adds a schedule (its id is chosen here) or records a pause; replaces the row of that id. */
  putSchedule(row: Omit<ScheduleRow, 'id'> & { id?: string }): Promise<ScheduleRow>;
  /** Removes the schedule `id` of `namespace` (default `default`). */
  removeSchedule(id: string, namespace?: string): Promise<boolean>;
  /** Schedules, oldest first; only one namespace's when given. */
  listSchedules(namespace?: string): Promise<ScheduleRow[]>;
}
