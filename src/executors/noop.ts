/**
 * noop: succeeds at once with no outputs. Benchmarks run tens of thousands of these, so
 * every call returns the same frozen result (the engine calls runNow, with no promise):
 * nothing is allocated. Callers must not mutate the result (it is frozen; strict mode
 * would throw).
 */
import type { NoopTask } from '../spec/model.js';
import type { Executor, ExecutorResult } from './types.js';

const RESULT: ExecutorResult = Object.freeze({ outputs: Object.freeze({}) as Record<string, unknown> });
const DONE = Promise.resolve(RESULT);

export const noop: Executor<NoopTask> = {
  run: () => DONE,
  runNow: () => RESULT,
};
