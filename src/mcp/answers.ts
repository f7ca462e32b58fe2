/**
 * What a tool answers: one JSON document as text, never more than ANSWER_LIMIT bytes (long
 * strings and lists are cut, saying so), or a tool error (isError) carrying baton's stable
 * error code, its category, and what to do next in this protocol's words.
 */
import { categoryOf } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';

/** The most bytes of text any answer holds. */
export const ANSWER_LIMIT = 64 * 1024;

/** What a tool returns (the SDK's CallToolResult, in the part baton uses). */
export interface ToolAnswer {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  isError?: boolean;
}

/** A document as the answer, cut to fit (see fit). `extra`: more text blocks (a page of a log), counted in the limit. */
export function answer(doc: unknown, extra: string[] = []): ToolAnswer {
  const room = ANSWER_LIMIT - extra.reduce((n, text) => n + Buffer.byteLength(text), 0);
  return { content: [{ type: 'text', text: fit(doc, room) }, ...extra.map((text) => ({ type: 'text' as const, text }))] };
}

/** An error as a tool error: code, category, message, details and the next step. */
export function failure(err: unknown): ToolAnswer {
  const error =
    err instanceof BatonError
      ? { code: err.code, category: categoryOf(err), message: err.message, ...(err.details ? { details: err.details } : {}) }
      : { code: 'UNKNOWN', category: categoryOf(err), message: err instanceof Error ? err.message : String(err) };
  return { content: [{ type: 'text', text: fit({ error: { ...error, next: nextStep(error.code) } }, ANSWER_LIMIT) }], isError: true };
}

/**
 * JSON of `doc` in at most `limit` bytes: strings longer than a cap keep their start and
 * say how much was cut, lists longer than a cap keep their first items and say how many
 * more there were; the caps halve until the document fits.
 */
export function fit(doc: unknown, limit: number): string {
  let text = JSON.stringify(doc);
  for (let chars = 8192, items = 200; Buffer.byteLength(text) > limit && chars >= 16; chars >>= 1, items = Math.max(1, items >> 1)) {
    text = JSON.stringify(shrink(doc, chars, items));
  }
  // Nothing left to cut (deep nesting of tiny values): say so rather than send too much.
  if (Buffer.byteLength(text) > limit) text = JSON.stringify({ truncated: true, note: `the answer was over ${limit} bytes even cut down; ask for less` });
  return text;
}

function shrink(value: unknown, chars: number, items: number): unknown {
  if (typeof value === 'string') {
    return value.length <= chars ? value : `${value.slice(0, chars)}[... ${value.length - chars} more characters cut]`;
  }
  if (Array.isArray(value)) {
    const kept = value.slice(0, items).map((v) => shrink(v, chars, items));
    return value.length <= items ? kept : [...kept, `[... ${value.length - items} more cut]`];
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrink(v, chars, items)]));
  }
  return value;
}

/** What an agent does about an error, by its code (baton's own messages name CLI commands). */
export function nextStep(code: string): string {
  if (code === 'STORE_RUN_NOT_FOUND' || code === 'STORE_RUN_AMBIGUOUS') return 'find the run id with list_runs (a unique prefix of an id works too)';
  if (code === 'RUN_FINISHED') return 'get_run shows how it ended; retry_run runs what failed again';
  if (code === 'RUN_NOT_FINISHED') return 'the run is not over: get_run shows it; resume_run goes on with an interrupted one, cancel_run stops it';
  if (code === 'RUN_HELD') return 'a live process drives this run: wait for it with get_run, or stop it with cancel_run';
  if (code === 'RUN_NOTHING_TO_RETRY') return 'nothing failed: retry_run with `from` re-runs a task and what follows it';
  if (code === 'WAIT_NOT_FOUND' || code === 'WAIT_AMBIGUOUS') return 'get_run lists what the run waits for (its `waits`)';
  if (code === 'SKILL_NOT_FOUND') return 'search_skills finds skills by what they do';
  if (code === 'METRICS_BAD_SINCE') return 'pass `since` as a duration back from now (7d, 24h, 30m) or a date (2026-11-22), or leave it out for the last 7 days';
  if (code === 'LOG_BAD_OFFSET') return 'pass the next_offset of an earlier get_logs answer, or "0" for the start';
  if (code === 'RUN_UNKNOWN_TASK' || code === 'CLI_TASK_NOT_FOUND') return 'get_run lists the run\'s tasks';
  if (code.startsWith('INPUT_')) return 'pass `inputs` as the workflow declares them (validate_workflow shows a code workflow\'s inputs; a YAML file lists them under inputs:)';
  if (code.startsWith('SPEC_') || code.startsWith('CODE_')) return 'fix the file where the diagnostics say (validate_workflow checks it again without running it)';
  if (code.startsWith('SKILL_')) return 'show_skill shows the skill; fix its SKILL.md as the message says';
  if (code.startsWith('STORE_') || code === 'RUN_LAUNCH' || code === 'RUN_NOT_STARTED') return 'baton could not use its store or start a process: the message says why; a person may need to fix the machine';
  const category = categoryOf(code);
  if (category === 'usage') return 'fix the arguments as the message says and call again';
  return 'the message says what went wrong; get_run and get_logs show a run\'s state';
}
