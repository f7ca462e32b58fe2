import type { TaskBase } from './model.js';

/** The fields every normalized task has, at their defaults: for code and tests that build tasks by hand. */
export function taskDefaults(): Omit<TaskBase, 'id' | 'explicit_id'> {
  return {
    depends_on: [],
    on_success: [],
    on_failure: [],
    outputs: {},
    live_output: false,
    continue_on_error: false,
    environment: {},
  };
}
