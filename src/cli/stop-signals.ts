/**
 * How a long-running command (`baton serve`, `baton worker`) stops: the first SIGTERM,
 * SIGINT or SIGHUP stops it gracefully (`stop`, which resolves with the exit code); a
 * second one forces: every task's process group is killed and the process exits at once.
 * Whatever ends the process, the tasks' process groups end with it.
 */
import { killAllProcessGroups } from '../executors/process-group.js';
import { EXIT } from './exit.js';

export interface StopSignals {
  /** Said when the first signal comes, before `stop` runs. */
  stopping: (signal: NodeJS.Signals) => void;
  /** Said when a second signal forces the exit. */
  forced: (signal: NodeJS.Signals) => void;
  /** The graceful stop; its exit code is the command's. */
  stop: () => Promise<number>;
}

/** Resolves with the exit code once the command stopped, after a stop signal. */
export function untilStopped(how: StopSignals): Promise<number> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        killAllProcessGroups('SIGKILL');
        how.forced(signal);
        process.exit(EXIT.unavailable);
      }
      stopping = true;
      how.stopping(signal);
      how.stop().then(resolve, reject);
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGHUP', () => onSignal('SIGHUP'));
    process.on('exit', () => killAllProcessGroups('SIGKILL'));
  });
}
