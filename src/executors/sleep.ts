/** sleep: waits `duration` ms; an abort clears the timer and ends it with EXEC_ABORTED. */
import type { SleepTask } from '../spec/model.js';
import { abortedError } from './errors.js';
import type { Executor, ExecutorResult } from './types.js';

export const sleep: Executor<SleepTask> = {
  run(task, _io, signal) {
    return new Promise<ExecutorResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortedError(signal, 'sleep'));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortedError(signal, 'sleep'));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve({ outputs: {} });
      }, Math.max(0, task.duration));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
