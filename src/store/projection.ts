import type { RunStatus, TimedEvent } from './events.js';

/** The run status an event moves a run to, if it changes it. Shared by every store. */
export function statusAfter(event: TimedEvent): RunStatus | undefined {
  switch (event.type) {
    case 'RunCreated':
      return 'pending';
    case 'RunStarted':
      return 'running';
    case 'RunSucceeded':
      return 'succeeded';
    case 'RunFailed':
      return 'failed';
    case 'RunCancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

export const FINISHED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
