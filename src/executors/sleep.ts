/**
 * sleep: waits `duration` ms; an abort clears the timer and ends it with EXEC_ABORTED.
 * An attempt that continues an interrupted one only waits for what is left, so a resumed
 * run keeps the original due time.
 */
import type { SleepTask } from '../spec/model.js';
import { abortedError } from './errors.js';
import type { Executor, ExecutorResult } from './types.js';

export const sleep: Executor<SleepTask> = {
  run(task, io, signal) {
    const wait = io.continuesFrom === undefined ? task.duration : io.continuesFrom + task.duration - Date.now();
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
      }, Math.max(0, wait));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
