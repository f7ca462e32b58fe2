/**
 * What a task may say of its own progress, and how it is read: `progress=NN` lines in
 * $BATON_OUTPUT (outputs-watch.ts) and `ctx.progress(...)` in code (sdk/context.ts). A
 * report is a percentage, items done of a total, or both, with an optional message. A
 * report that is not one is refused with a reason, which the caller turns into a warning
 * in the task's log: progress is never worth failing a task over.
 */

/** A report as a task gives it; the engine throttles what it records (engine/progress-recorder.ts). */
export interface ProgressInput {
  /** 0..100; derived from done/total when only those are given. */
  percent?: number;
  done?: number;
  total?: number;
  /** Replaces the message shown beside the numbers; '' clears it. Kept across reports until replaced. */
  message?: string;
}

/** Characters of a message kept: it is shown on one line of a terminal. */
export const PROGRESS_MESSAGE_CHARS = 200;

/** The output names $BATON_OUTPUT reserves for progress: never task outputs. */
export const PROGRESS_NAMES: ReadonlySet<string> = new Set(['progress', 'progress_message']);

const PERCENT = /^(\d+(?:\.\d+)?)\s*%?$/;
const FRACTION = /^(\d+)\s*\/\s*(\d+)$/;

/** The value of a `progress=` line: `37`, `37.5%` or `37/120`; a string saying why not otherwise. */
export function parseProgressValue(text: string): ProgressInput | string {
  const value = text.trim();
  const percent = PERCENT.exec(value);
  if (percent) return checkProgress({ percent: Number(percent[1]) });
  const fraction = FRACTION.exec(value);
  if (fraction) return checkProgress({ done: Number(fraction[1]), total: Number(fraction[2]) });
  return `progress=${JSON.stringify(value.slice(0, 40))} is not a percentage (progress=37, progress=37%) nor items done of a total (progress=37/120)`;
}

/** The value of a `progress_message=` line. */
export function messageInput(text: string): ProgressInput {
  return { message: text.trim().slice(0, PROGRESS_MESSAGE_CHARS) };
}

/**
 * A report from code (`ctx.progress(40)`, `ctx.progress({ done, total, message })`) checked:
 * the report with its percent derived, or a string saying what is wrong with it.
 */
export function checkProgress(value: unknown): ProgressInput | string {
  if (typeof value === 'number') value = { percent: value };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `a progress report is a percentage (40) or { percent?, done?, total?, message? }, not ${describe(value)}`;
  }
  const { percent, done, total, message } = value as Record<string, unknown>;
  const out: ProgressInput = {};
  if (percent !== undefined) {
    if (!isNumber(percent) || percent < 0 || percent > 100) return `progress ${describe(percent)} is not a percentage from 0 to 100`;
    out.percent = percent;
  }
  if (done !== undefined || total !== undefined) {
    if (!isNumber(done) || !isNumber(total)) return `progress done ${describe(done)} of total ${describe(total)}: both must be numbers`;
    if (done < 0 || total <= 0 || done > total) return `progress ${done}/${total}: done must be from 0 to total, and total above 0`;
    out.done = done;
    out.total = total;
    out.percent ??= Math.round((done / total) * 1000) / 10;
  }
  if (message !== undefined) {
    if (typeof message !== 'string') return `a progress message must be a string, not ${describe(message)}`;
    out.message = message.trim().slice(0, PROGRESS_MESSAGE_CHARS);
  }
  if (out.percent === undefined && out.message === undefined) return 'a progress report needs a percent, done and total, or a message';
  return out;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** The warning line a refused report leaves in the task's log (once per attempt). */
export function progressWarning(reason: string): string {
  return `baton: PROGRESS_INVALID: ${reason}; ignored (this warning is shown once per attempt)\n`;
}
