/**
 * A run as a tool answers it: the view `baton status --json` prints (runs/views.ts), with
 * at most TASKS_SHOWN tasks (the ones that need attention first), and `next`: what an
 * agent can do about the run now, in this server's tools.
 */
import { BatonError } from '../observability/errors.js';
import { parseJson } from '../expr/safe-json.js';
import type { Launched } from '../runs/launch.js';
import type { StatusJson, TaskJson } from '../runs/run-view.js';
import { statusView } from '../runs/views.js';
import type { WaitEnd } from '../runs/wait.js';
import type { McpContext } from './context.js';
import { withStore } from './context.js';

/** Tasks listed in an answer at most; the counts cover them all. */
export const TASKS_SHOWN = 50;

export interface RunFacts {
  /** How the wait for the run ended, when the tool waited. */
  waited?: WaitEnd;
  /** The exit code of the command that drove it here, when it exited. */
  exitCode?: number;
  /** A line on what the tool did (asked its owner to cancel, delivered an event...). */
  note?: string;
}

/**
 * The answer for run `runId` (a full id or a unique prefix). A run this server started
 * that is not recorded yet answers as `starting`, or, when its command has exited, with
 * the error that stopped it (thrown, for a tool error).
 */
export async function runAnswer(ctx: McpContext, runId: string, facts: RunFacts = {}): Promise<Record<string, unknown>> {
  const view = await withStore(ctx, async (store) => {
    try {
      return await statusView(store, await store.runs.resolveRunId(runId));
    } catch (err) {
      if (err instanceof BatonError && err.code === 'STORE_RUN_NOT_FOUND' && ctx.launched.has(runId)) return undefined;
      throw err;
    }
  });
  if (view === undefined) return notRecorded(ctx, runId, facts);
  // A command started here that has exited has nothing more to say about this run.
  const launched = ctx.launched.get(view.run_id);
  if (launched !== undefined && launched.exitCode() !== undefined && commandError(launched) === undefined) {
    launched.release();
    ctx.launched.delete(view.run_id);
  }
  return { ...bounded(view), ...(facts.note ? { note: facts.note } : {}), ...waitedFacts(view, facts), next: nextSteps(view, ctx) };
}

function waitedFacts(view: StatusJson, facts: RunFacts): Record<string, unknown> {
  const going = view.status === 'running' || view.status === 'pending';
  if (facts.waited === 'timeout' && going) return { still_running: true };
  if (facts.waited === 'aborted' && going) return { still_running: true, note: 'the request was cancelled; the run goes on' };
  return {};
}

/** A run started here but not in the store: still starting, or what stopped it before it was recorded. */
function notRecorded(ctx: McpContext, runId: string, facts: RunFacts): Record<string, unknown> {
  const launched = ctx.launched.get(runId)!;
  const code = launched.exitCode();
  if (code === undefined) {
    return {
      run_id: runId,
      status: 'starting',
      ...(facts.note ? { note: facts.note } : {}),
      next: [`the run is being set up (a TypeScript workflow is bundled first): get_run {"run_id": "${runId}"} in a few seconds`],
    };
  }
  const reported = commandError(launched);
  if (reported) throw reported;
  const { stderr } = launched.output(256 * 1024);
  const tail = stderr.trim().split('\n').slice(-10).join('\n');
  throw new BatonError('RUN_NOT_STARTED', `the baton process that was to start run ${runId} exited with code ${code} before recording it${tail ? `:\n${tail}` : ''}`, {
    details: { run: runId, exit_code: code },
  });
}

/** The error a command that exited reported (its --json `{"error": ...}` document), if any. */
export function commandError(launched: Launched): BatonError | undefined {
  if (launched.exitCode() === undefined) return undefined;
  const reported = lastJsonError(launched.output(256 * 1024).stdout);
  return reported && new BatonError(reported.code, reported.message, reported.details ? { details: reported.details } : undefined);
}

function lastJsonError(stdout: string): { code: string; message: string; details?: Record<string, unknown> } | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.startsWith('{"error"')) continue;
    try {
      const { error } = parseJson(line, 'the command\'s output') as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      if (error && typeof error.code === 'string' && typeof error.message === 'string') {
        const details = typeof error.details === 'object' && error.details !== null ? (error.details as Record<string, unknown>) : undefined;
        return { code: error.code, message: error.message, ...(details ? { details } : {}) };
      }
    } catch {
      // Not the document: keep looking.
    }
  }
  return undefined;
}

/** The view with at most TASKS_SHOWN tasks: those that need attention first, in the run's order. */
function bounded(view: StatusJson): Record<string, unknown> {
  if (view.tasks.length <= TASKS_SHOWN) return { ...view };
  const urgent = (t: TaskJson) => t.status === 'failed' || t.status === 'running' || t.status === 'waiting' || t.status === 'retrying' || t.status === 'cancelled';
  const first = view.tasks.filter(urgent).slice(0, TASKS_SHOWN);
  const picked = new Set(first);
  for (const task of view.tasks) {
    if (picked.size >= TASKS_SHOWN) break;
    picked.add(task);
  }
  const tasks = view.tasks.filter((t) => picked.has(t));
  return {
    ...view,
    tasks,
    tasks_omitted: view.tasks.length - tasks.length,
    tasks_note: `${tasks.length} of ${view.tasks.length} tasks shown (failed, running and waiting ones first); counts covers them all`,
  };
}

/** What to do about the run now, in this server's tools. */
function nextSteps(view: StatusJson, ctx: McpContext): string[] {
  const id = view.run_id;
  const arg = (more = '') => `{"run_id": "${id}"${more}}`;
  const failed = view.tasks.filter((t) => t.status === 'failed').map((t) => t.id);
  switch (view.status) {
    case 'running':
    case 'pending':
      return [`still running: get_run ${arg()} later; get_logs ${arg()} shows its output so far`, `cancel_run ${arg()} stops it`];
    case 'interrupted':
      return [`the process driving it is gone: resume_run ${arg()} goes on with it (finished tasks are kept)`];
    case 'queued':
      return [`it waits in the queue (position ${view.queue?.position ?? '?'}) and starts in its turn: get_run ${arg()} later`, `cancel_run ${arg()} takes it out of the queue`];
    case 'waiting':
      return (view.waits ?? []).map((wait) => {
        if (wait.kind === 'event') return `${wait.task} waits for event ${JSON.stringify(wait.event)}: emit_event {"event": ${JSON.stringify(wait.event)}, "run_id": "${id}"} delivers it`;
        if (wait.kind === 'sleep') return `${wait.task} sleeps until ${wait.until === undefined ? 'later' : new Date(wait.until).toISOString()}: resume_run ${arg()} after that wakes it`;
        const person = `approvals are for people: a person answers it with \`baton approve ${id}${wait.task ? ` ${wait.task}` : ''}\` (or --reject)`;
        return ctx.approvals
          ? `${wait.task} waits for an approval${wait.prompt ? ` (${wait.prompt})` : ''}: ${person}; this project lets agents answer too: answer_approval ${arg(`, "step": "${wait.task}", "approve": true`)}`
          : `${wait.task} waits for an approval${wait.prompt ? ` (${wait.prompt})` : ''}: ${person}; agents cannot answer it over MCP unless baton.config.yaml sets mcp: {approvals: true}. Tell the person, and get_run ${arg()} later`;
      });
    case 'failed':
      return [
        failed.length > 0 ? `get_logs ${arg(`, "task": "${failed[0]}"`)} shows why ${failed[0]} failed${failed.length > 1 ? ` (${failed.length} tasks failed: ${failed.slice(0, 5).join(', ')})` : ''}` : `its error says why; get_logs ${arg()} shows its output`,
        `once the cause is fixed, retry_run ${arg()} runs what failed again, keeping what succeeded`,
      ];
    case 'cancelled':
      return [`retry_run ${arg()} runs the cancelled tasks again`];
    case 'succeeded':
      return [`done: its tasks' outputs are above${view.summary !== undefined ? ', its summary too' : ''}; get_logs ${arg()} shows its output`];
  }
}
