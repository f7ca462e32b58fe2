/**
 * sql: queries, .sql files and migrations against PostgreSQL, MySQL/MariaDB and SQLite.
 * The executor itself (executors/sql/) and its drivers load with the first sql task, so
 * runs without one, and `baton --help`, never pay for them.
 */
import type { SqlTask } from '../spec/model.js';
import type { Executor } from './types.js';

export const sql: Executor<SqlTask> = {
  async run(task, io, signal) {
    const { runSql } = await import('./sql/run.js');
    return runSql(task, io, signal);
  },
};
