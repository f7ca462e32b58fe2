/**
 * The tools that act on runs. Nothing here drives a run in this process: each run is
 * started or continued by a `baton` command in the background (runs/launch.ts), detached,
 * with `--origin mcp` so its events say who asked, and `--json` so what stops it comes
 * back as a document. The tool waits for it at most `wait_seconds`, then answers with the
 * run as get_run shows it; the run goes on after the answer, and after this server, if it
 * has to. (docs/decisions/0011-mcp.md says why.)
 */
import path from 'node:path';
import { z } from 'zod';
import { requestCancel } from '../engine/resume.js';
import { answerApproval, answeredBy, resolvePaused, type Delivered } from '../engine/steps/answer.js';
import { emitAndRecord } from '../runs/emit.js';
import { BatonError } from '../observability/errors.js';
import { launchBaton, type Launched } from '../runs/launch.js';
import { newRunId } from '../store/ids.js';
import { either, exited, settled, waitFor, type Condition, type WaitEnd } from '../runs/wait.js';
import { answer, type ToolAnswer } from './answers.js';
import { openStore, storeArgs, withStore, type McpContext } from './context.js';
import { commandError, runAnswer, type RunFacts } from './run-answer.js';
import { checkIdempotencyKey } from '../engine/run-key.js';
import { FOUND_LINE } from '../runs/existing-run.js';
import { oneOf } from './tools-read.js';
import { progress, type CallContext, type ToolDefinition } from './tools.js';

/** How long an act waits for the run by default, and at most (s). */
export const WAIT_DEFAULT = 30;
export const WAIT_MAX = 600;

const waitSeconds = () =>
  z
    .number()
    .int()
    .min(0)
    .max(WAIT_MAX)
    .optional()
    .describe(`how long to wait for the run to end or to wait for something, in seconds (default ${WAIT_DEFAULT}, at most ${WAIT_MAX}; keep it under your client's tool timeout). The run goes on after the answer either way`);

const RUN_ANSWER = 'Answers with the run as get_run shows it (status, error, summary, tasks) and `next` steps; still_running: true when it had not ended by then.';

export function actTools(ctx: McpContext): ToolDefinition[] {
  const tools: ToolDefinition[] = [
    {
      name: 'start_run',
      description:
        'Run a workflow in the project and wait up to wait_seconds for it: a workflow `file`, a workflow written inline as `text` (YAML, JSON, a TypeScript workflow importing "baton", or a script in any language starting with #!; as `baton run -` does, it is kept in .baton/scratch/ and runs in the project\'s folder, with a 300 s time limit unless `timeout` says otherwise), or a runnable `skill` by name. ' +
        'Runs in the background, recorded: its output goes to the log store, never into this answer. ' +
        RUN_ANSWER +
        ' A run that ends waiting for an event or an approval answers with status waiting. Errors before anything runs (an invalid workflow with file:line:col problems, a wrong input) come back as tool errors.',
      inputSchema: z.object({
        file: z.string().min(1).optional().describe("a workflow file, relative to the project's folder"),
        text: z.string().min(1).optional().describe('the workflow or script itself'),
        skill: z.string().min(1).optional().describe("a runnable skill's name (show_skill says what inputs it takes)"),
        inputs: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]))
          .optional()
          .describe("the workflow's inputs by name (a script or a skill's script gets them as INPUT_<NAME>); objects and lists for json inputs"),
        timeout: z.string().min(1).optional().describe("the run's time limit over the workflow's own: 90s, 30m, 2h"),
        idempotency_key: z.string().optional().describe(IDEMPOTENCY_KEY),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { file?: string; text?: string; skill?: string; inputs?: Record<string, unknown>; timeout?: string; idempotency_key?: string; wait_seconds?: number }, call: CallContext) => {
        const what = oneOf({ file: args.file, text: args.text, skill: args.skill }, 'start_run');
        const runId = newRunId();
        const pairs = Object.entries(args.inputs ?? {}).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
        const key = args.idempotency_key === undefined ? [] : ['--idempotency-key', checkIdempotencyKey(args.idempotency_key, 'idempotency_key')];
        const common = ['--json', '--origin', 'mcp', '--run-id', runId, ...(args.timeout === undefined ? [] : ['--timeout', args.timeout]), ...key, ...storeArgs(ctx)];
        const command =
          what.skill !== undefined
            ? ['skill', 'run', what.skill, ...pairs.flatMap((p) => ['--with', p]), ...common]
            : ['run', what.text !== undefined ? '-' : path.resolve(ctx.cwd, what.file!), ...pairs.flatMap((p) => ['--input', p]), ...common];
        const launched = launch(ctx, runId, command, what.text);
        const deadline = Date.now() + (args.wait_seconds ?? WAIT_DEFAULT) * 1000;
        // A run that sleeps keeps its process: waiting, it is as far as it goes for now.
        const end = await wait(either(either(exited(launched), settled(() => openStore(ctx), runId)), foundBefore(launched)), args.wait_seconds, call);
        const found = foundRun(launched);
        if (found === undefined || commandError(launched) !== undefined) return answerFor(ctx, runId, launched, end);
        // Its run was never recorded: nothing more to read of the command once it has exited.
        void launched.exited.then(() => forget(ctx, runId, launched));
        // The key's run, made by an earlier start: waited for as this start's own would have been.
        const left = Math.max(0, deadline - Date.now()) / 1000;
        const settledEnd = await wait(settled(() => openStore(ctx), found), left, call);
        return answer(await runAnswer(ctx, found, { waited: settledEnd, note: `run ${found} was started before with idempotency key ${JSON.stringify(args.idempotency_key)}: nothing new was started` }));
      },
    },
    {
      name: 'resume_run',
      description:
        'Go on with a run whose process is gone (status interrupted), or one waiting for a sleep that is due: finished tasks are kept, interrupted ones run again. Runs in the background; waits up to wait_seconds. ' + RUN_ANSWER,
      inputSchema: z.object({ run_id: z.string().min(1).describe('the run id (a unique prefix works)'), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; wait_seconds?: number }, call: CallContext) => {
        const runId = await resolve(ctx, args.run_id);
        return continueWith(ctx, runId, ['resume', runId], args.wait_seconds, call);
      },
    },
    {
      name: 'retry_run',
      description:
        'Run the failed and cancelled tasks of a finished run again (and what they blocked), keeping what succeeded; `from` re-runs that task and everything after it. Runs in the background; waits up to wait_seconds. ' + RUN_ANSWER,
      inputSchema: z.object({
        run_id: z.string().min(1).describe('the run id (a unique prefix works)'),
        from: z.string().min(1).optional().describe('re-run this task and everything after it, even what succeeded'),
        new_code: z.boolean().optional().describe("a code run: run its file's current code instead of the snapshot it started with"),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; from?: string; new_code?: boolean; wait_seconds?: number }, call: CallContext) => {
        const runId = await resolve(ctx, args.run_id);
        const extra = [...(args.from === undefined ? [] : ['--from', args.from]), ...(args.new_code ? ['--new-code'] : [])];
        return continueWith(ctx, runId, ['retry', runId, ...extra], args.wait_seconds, call);
      },
    },
    {
      name: 'cancel_run',
      description:
        "Cancel a run that has not ended: its tasks are stopped and its cleanup (always()) tasks run, then it ends cancelled. A run a live process drives is asked to cancel (it sees the request within a second); one nobody drives (interrupted, waiting) is cancelled in the background. Waits up to wait_seconds for it to end. " +
        RUN_ANSWER,
      inputSchema: z.object({
        run_id: z.string().min(1).describe('the run id (a unique prefix works)'),
        reason: z.string().min(1).optional().describe('recorded as the reason (default: cancelled over MCP)'),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async (args: { run_id: string; reason?: string; wait_seconds?: number }, call: CallContext) => {
        const reason = args.reason ?? 'cancelled over MCP';
        const { runId, owner } = await withStore(ctx, async (store) => {
          const id = await store.runs.resolveRunId(args.run_id);
          return { runId: id, owner: await requestCancel(store.runs, id, reason) };
        });
        if (owner === undefined) return continueWith(ctx, runId, ['cancel', runId, '--reason', reason], args.wait_seconds, call);
        const end = await wait(settled(() => openStore(ctx), runId), args.wait_seconds, call);
        return answer(await runAnswer(ctx, runId, { waited: end, note: `asked pid ${owner.pid} on ${owner.host}, which drives the run, to cancel it` }));
      },
    },
    {
      name: 'emit_event',
      description:
        'Deliver an event to the runs waiting for it (a TypeScript workflow\'s ctx.waitForEvent): to `run_id` only, or to every run that waits for `event`. A run nobody drives goes on in the background; waits up to wait_seconds for each. ' +
        'Answers with each run reached, as get_run shows it. An event reaches only waits already open: nothing is kept for later.',
      inputSchema: z.object({
        event: z.string().min(1).describe("the event's name, as the run waits for it (get_run shows a waiting run's waits)"),
        data: z.unknown().optional().describe("the event's data, any JSON (default null)"),
        run_id: z.string().min(1).optional().describe('only to this run (a unique prefix works)'),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async (args: { event: string; data?: unknown; run_id?: string; wait_seconds?: number }, call: CallContext) => {
        const { only, reached } = await withStore(ctx, async (store) => {
          const id = args.run_id === undefined ? undefined : await store.runs.resolveRunId(args.run_id);
          return { only: id, reached: await emitAndRecord(store, args.event, args.data ?? null, id, 'mcp') };
        });
        if (reached.length === 0) {
          if (only !== undefined) {
            throw new BatonError('WAIT_NOT_FOUND', `run ${only} does not wait for event ${args.event}; nothing was delivered (an event reaches only waits already open)`, { details: { run: only, event: args.event } });
          }
          return answer({ event: args.event, delivered: [], note: `no run waits for event ${args.event}; nothing was delivered (an event reaches only waits already open)` });
        }
        const runs = await goOn(ctx, reached, args.wait_seconds, call, (d) => `event ${args.event} delivered to ${d.tasks.join(', ')}`);
        return answer({ event: args.event, delivered: runs });
      },
    },
    {
      name: 'resolve_task',
      description:
        "Decide what becomes of a task paused after failing (a workflow file's `on_failure: pause`; get_run shows it waiting, kind pause): retry runs it again, skip skips it, abort lets it fail as it would have. Do what the person you work for decided. A run nobody drives goes on in the background; waits up to wait_seconds. " +
        RUN_ANSWER,
      inputSchema: z.object({
        run_id: z.string().min(1).describe('the run id (a unique prefix works)'),
        task: z.string().min(1).optional().describe('the paused task (needed when several are paused)'),
        resolution: z.enum(['retry', 'skip', 'abort']),
        comment: z.string().optional().describe('recorded with the decision'),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; task?: string; resolution: 'retry' | 'skip' | 'abort'; comment?: string; wait_seconds?: number }, call: CallContext) => {
        const done = await withStore(ctx, async (store) => {
          const id = await store.runs.resolveRunId(args.run_id);
          return resolvePaused(store.runs, id, args.task, { resolution: args.resolution, by: answeredBy(), origin: 'mcp', ...(args.comment === undefined ? {} : { comment: args.comment }) });
        });
        const [run] = await goOn(ctx, [done], args.wait_seconds, call, (d) => `${args.resolution} ${d.tasks[0]}`);
        return answer(run);
      },
    },
  ];
  if (ctx.approvals) tools.push(approvalTool(ctx));
  return tools;
}

/** answer_approval: only when baton.config.yaml says `mcp: {approvals: true}`. */
function approvalTool(ctx: McpContext): ToolDefinition {
  return {
    name: 'answer_approval',
    description:
      "Approve or reject a code run's open approval (ctx.approval). This project lets agents answer approvals (baton.config.yaml: mcp.approvals: true); answer only what the person you work for has decided. A run nobody drives goes on in the background; waits up to wait_seconds. " +
      RUN_ANSWER,
    inputSchema: z.object({
      run_id: z.string().min(1).describe('the run id (a unique prefix works)'),
      step: z.string().min(1).optional().describe('the approval step (needed when several are open; get_run lists them)'),
      approve: z.boolean().describe('true to approve, false to reject (the step then fails with APPROVAL_REJECTED)'),
      comment: z.string().optional().describe('recorded with the answer'),
      wait_seconds: waitSeconds(),
    }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async (args: { run_id: string; step?: string; approve: boolean; comment?: string; wait_seconds?: number }, call: CallContext) => {
      const done = await withStore(ctx, async (store) => {
        const id = await store.runs.resolveRunId(args.run_id);
        const by = answeredBy();
        return answerApproval(store.runs, id, args.step, { approved: args.approve, by, origin: 'mcp', ...(args.comment === undefined ? {} : { comment: args.comment }) });
      });
      const verb = args.approve ? 'approved' : 'rejected';
      const [run] = await goOn(ctx, [done], args.wait_seconds, call, (d) =>
        d.timedOut ? `${d.tasks[0]} timed out before this answer; nothing was recorded, and the run goes on with the timeout (APPROVAL_TIMEOUT)` : `${verb} ${d.tasks[0]}`,
      );
      return answer(run);
    },
  };
}

/**
 * Starts `baton <args>` for run `runId` in the background, remembered until it has exited
 * as a run's command does (0 succeeded, 1 failed, 4 waiting, 130 cancelled): one that stopped
 * on an error is kept, so that the error answers for the run later.
 */
function launch(ctx: McpContext, runId: string, args: string[], stdin?: string): Launched {
  const launched = launchBaton(args, { cwd: ctx.cwd, ...(stdin === undefined ? {} : { stdin }) });
  ctx.launched.get(runId)?.release();
  ctx.launched.set(runId, launched);
  void launched.exited.then((code) => {
    // A start whose key found another run is read by its tool, which lets go of it then.
    if (RUN_EXITS.has(code) && commandError(launched) === undefined && foundRun(launched) === undefined) forget(ctx, runId, launched);
  });
  return launched;
}

const RUN_EXITS: ReadonlySet<number> = new Set([0, 1, 4, 130]);

const IDEMPOTENCY_KEY =
  'a name for this one start (1-255 characters: a ticket, a deployment id): when a run of the project was started with it within idempotency.retention (default 24h), that run is the answer and nothing new starts, so calling again after a lost answer is safe; the key with another workflow or inputs is an error (RUN_IDEMPOTENCY_CONFLICT)';

/** The run a start's key found, as the `baton run` it launched says (runs/existing-run.ts foundLine). */
function foundRun(launched: Launched): string | undefined {
  return FOUND_LINE.exec(launched.output(64 * 1024).stderr)?.[1];
}

/** The launched start found its key's run. */
function foundBefore(launched: Launched): Condition {
  return { met: async () => foundRun(launched) !== undefined };
}

/** Continues a stored run with a CLI command (resume, retry, cancel), waits, answers. */
async function continueWith(ctx: McpContext, runId: string, args: string[], seconds: number | undefined, call: CallContext): Promise<ToolAnswer> {
  const launched = launch(ctx, runId, [...args, '--json', '--origin', 'mcp', ...storeArgs(ctx)]);
  const end = await wait(exited(launched), seconds, call);
  return answerFor(ctx, runId, launched, end);
}

/**
 * Runs reached by an answer or an event: those nobody drives go on with `baton resume` in
 * the background, the others with their owner; each is waited for (one deadline for all).
 */
async function goOn(ctx: McpContext, reached: Delivered[], seconds: number | undefined, call: CallContext, what: (d: Delivered) => string): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + (seconds ?? WAIT_DEFAULT) * 1000;
  const out: Record<string, unknown>[] = [];
  for (const done of reached.slice(0, MAX_RUNS_ANSWERED)) {
    const left = Math.max(0, deadline - Date.now()) / 1000;
    if (done.continueHere) {
      const launched = launch(ctx, done.runId, ['resume', done.runId, '--json', '--origin', 'mcp', ...storeArgs(ctx)]);
      const end = await wait(exited(launched), left, call);
      out.push(await runFacts(ctx, done.runId, launched, end, `${what(done)}; going on with the run in the background`));
    } else {
      const end = await wait(settled(() => openStore(ctx), done.runId), left, call);
      const who = done.owner ? `pid ${done.owner.pid} on ${done.owner.host}` : 'its owner';
      out.push(await runAnswer(ctx, done.runId, { waited: end, note: `${what(done)}; ${who} drives the run and goes on with it` }));
    }
  }
  if (reached.length > MAX_RUNS_ANSWERED) out.push({ note: `${reached.length - MAX_RUNS_ANSWERED} more runs were reached: list_runs shows them` });
  return out;
}

const MAX_RUNS_ANSWERED = 10;

async function answerFor(ctx: McpContext, runId: string, launched: Launched, end: WaitEnd): Promise<ToolAnswer> {
  return answer(await runFacts(ctx, runId, launched, end));
}

/** The run after its command: the error the command stopped on, or the run as it is now. */
async function runFacts(ctx: McpContext, runId: string, launched: Launched, end: WaitEnd, note?: string): Promise<Record<string, unknown>> {
  const error = commandError(launched);
  if (error) {
    forget(ctx, runId, launched);
    throw error;
  }
  const code = launched.exitCode();
  const facts: RunFacts = { waited: end, ...(code === undefined ? {} : { exitCode: code }), ...(note ? { note } : {}) };
  const out = await runAnswer(ctx, runId, facts);
  if (code !== undefined) forget(ctx, runId, launched);
  return out;
}

/** Its output was read: nothing more to learn from it. */
function forget(ctx: McpContext, runId: string, launched: Launched): void {
  launched.release();
  if (ctx.launched.get(runId) === launched) ctx.launched.delete(runId);
}

function wait(condition: Condition, seconds: number | undefined, call: CallContext): Promise<WaitEnd> {
  const total = seconds ?? WAIT_DEFAULT;
  const onTick = progress(call, total);
  return waitFor(condition, { timeoutMs: total * 1000, signal: call.mcpReq.signal, ...(onTick ? { onTick } : {}) });
}

async function resolve(ctx: McpContext, prefix: string): Promise<string> {
  return withStore(ctx, (store) => store.runs.resolveRunId(prefix));
}
