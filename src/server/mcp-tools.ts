/**
 * The MCP tools `baton serve` offers over HTTP (mcp-http.ts), for one caller: the read
 * tools of `baton mcp` over the server's store seen from the caller's namespace
 * (runs/scoped-store.ts), and act tools that go through the daemon, so runs are driven by
 * the server, in the caller's namespace, recorded with the caller as their actor.
 *
 * Unlike `baton mcp` on a developer's machine, a remote caller starts only workflows the
 * server serves, by name: no inline scripts, no files by path. An operator token is not a
 * licence to run arbitrary commands on the server's machine.
 *
 * Every tool is listed; a call the caller's roles do not allow (access/permissions.ts
 * TOOL_RULES) is refused as a tool error with ACCESS_DENIED, and recorded. Listed rather
 * than hidden because the list is one server's for every caller (the same as `baton mcp`'s
 * and as the docs say), and a refusal that names the role needed tells the agent, and the
 * person behind it, what to ask for; a hidden tool would look like a missing feature. Act
 * calls are recorded in the audit trail with origin `mcp`.
 */
import { z } from 'zod';
import { audited, recordAudit } from '../access/audit.js';
import { toolRule } from '../access/permissions.js';
import type { Principal } from '../access/principal.js';
import { allows, rolesGranting } from '../access/roles.js';
import { BatonError } from '../observability/errors.js';
import { answer, type ToolAnswer } from '../mcp/answers.js';
import type { McpContext } from '../mcp/context.js';
import { runAnswer } from '../mcp/run-answer.js';
import { WAIT_DEFAULT, WAIT_MAX } from '../mcp/tools-act.js';
import { readTools } from '../mcp/tools-read.js';
import { progress, type CallContext, type ToolDefinition } from '../mcp/tools.js';
import { scopedStore } from '../runs/scoped-store.js';
import { settled, waitFor, type WaitEnd } from '../runs/wait.js';
import { parseWorkflow } from '../spec/load.js';
import { statusAfter } from '../store/projection.js';
import { checkIdempotencyKey } from '../engine/run-key.js';
import type { Delivered } from '../engine/steps/answer.js';
import type { Daemon } from './daemon.js';

const waitSeconds = () => z.number().int().min(0).max(WAIT_MAX).optional().describe(`how long to wait for the run to end or to wait for something, in seconds (default ${WAIT_DEFAULT}, at most ${WAIT_MAX}). The run goes on after the answer either way`);
const runIdArg = () => z.string().min(1).max(40).describe('the run id (a unique prefix works)');

export function serverTools(daemon: Daemon, who: Principal): ToolDefinition[] {
  const catalog = daemon.catalog(who.namespace);
  const store = scopedStore(daemon.store, who.namespace);
  const ctx: McpContext = { cwd: catalog.dir, approvals: allows(who.roles, 'approve'), launched: new Map(), shared: store, skillRoots: () => catalog.skillRoots() };
  const read = readTools(ctx).filter((tool) => ['search_skills', 'show_skill', 'list_runs', 'get_run', 'get_logs', 'metrics'].includes(tool.name));

  // `answered`: tasks an answer or an event was just delivered to. The daemon goes on with
  // the run a moment later, so until it has taken them up the run still looks settled
  // (waiting): the wait is for those tasks to stop waiting too.
  const wait = (runId: string, seconds: number | undefined, call: CallContext, answered: readonly string[] = []): Promise<WaitEnd> => {
    const total = seconds ?? WAIT_DEFAULT;
    const onTick = progress(call, total);
    const ended = settled(() => Promise.resolve(store), runId);
    // An answer to a code run's wait ends its task at once (the task row says succeeded),
    // while the run still says waiting until its driver goes on: taken up means the run
    // recorded a move of its own (resumed, woke, ended...) after the last answer.
    const tookUp = async () => {
      if (!(await ended.met())) return false;
      if (answered.length === 0) return true;
      const events = await store.runs.readEvents(runId);
      const last = events.findLastIndex((event) => event.type === 'WaitAnswered' && answered.includes(event.task));
      return last === -1 || events.slice(last + 1).some((event) => statusAfter(event) !== undefined);
    };
    return waitFor({ met: tookUp }, { timeoutMs: total * 1000, signal: call.mcpReq.signal, ...(onTick ? { onTick } : {}) });
  };
  const after = async (runId: string, seconds: number | undefined, call: CallContext, answered?: readonly string[]): Promise<ToolAnswer> =>
    answer(await runAnswer(ctx, runId, { waited: await wait(runId, seconds, call, answered) }));
  const reachedAnswers = async (reached: Delivered[], seconds: number | undefined, call: CallContext) => {
    const deadline = Date.now() + (seconds ?? WAIT_DEFAULT) * 1000;
    const out: Record<string, unknown>[] = [];
    for (const done of reached.slice(0, 10)) {
      const left = Math.max(0, deadline - Date.now()) / 1000;
      out.push(await runAnswer(ctx, done.runId, { waited: await wait(done.runId, left, call, done.tasks) }));
    }
    return out;
  };
  // Recorded under the action the permission table names for the tool, so the two cannot drift apart.
  const act = <T>(tool: string, target: string | undefined, detail: Record<string, unknown> | undefined, fn: () => Promise<T>, targetOf?: (result: T) => string | undefined) =>
    audited(daemon.store, who, { action: toolRule(tool)?.action ?? tool, ...(target === undefined ? {} : { target }), ...(detail ? { detail } : {}) }, fn, targetOf);
  // The run id is resolved inside the audited act, so a call naming no run of the caller's
  // namespace is in the audit trail too (target: the id as given).
  const onRun = async (tool: string, prefix: string, detail: Record<string, unknown> | undefined, fn: (runId: string) => Promise<unknown>): Promise<string> =>
    act(tool, prefix, detail, async () => {
      const runId = await store.runs.resolveRunId(prefix);
      await fn(runId);
      return runId;
    }, (runId) => runId);

  const tools: ToolDefinition[] = [
    ...read,
    {
      name: 'list_workflows',
      description: 'The workflows this server serves to you, by name, with their inputs; and the files that do not load, with why. Next: start_run {"workflow": ...}.',
      inputSchema: z.object({}),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async () =>
        answer({
          workflows: [...catalog.workflows.values()].map((w) => ({ name: w.name, ...(w.workflow.description ? { description: w.workflow.description } : {}), inputs: w.workflow.inputs })),
          problems: catalog.problems.map((p) => ({ file: p.file, message: p.message })),
        }),
    },
    {
      name: 'validate_workflow',
      description: 'Check a workflow written as `text` (YAML or JSON) without running it: valid, and every problem with line, col, code, message and hint.',
      inputSchema: z.object({ text: z.string().min(1).max(1024 * 1024).describe('the workflow itself, YAML or JSON') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ text }: { text: string }) => {
        const result = parseWorkflow(text, '<text>');
        return answer({ valid: result.workflow !== undefined, problems: result.diagnostics.map(({ file: _file, ...d }) => d) });
      },
    },
    {
      name: 'start_run',
      description:
        'Start a run of a workflow this server serves (list_workflows names them) with its inputs, and wait up to wait_seconds for it. The server drives it; its output goes to the log store. Answers with the run as get_run shows it and `next` steps.',
      inputSchema: z.object({
        workflow: z.string().min(1).max(200).describe('the workflow name, as list_workflows gives it'),
        inputs: z.record(z.string(), z.unknown()).optional().describe("the workflow's inputs by name"),
        idempotency_key: z
          .string()
          .optional()
          .describe(
            'a name for this one start (1-255 characters: a ticket, a deployment id): when a run of your namespace was started with it within the retention (default 24h), that run is the answer and nothing new starts, so calling again after a lost answer is safe; the key with another workflow or inputs is an error (RUN_IDEMPOTENCY_CONFLICT)',
          ),
        wait_seconds: waitSeconds(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { workflow: string; inputs?: Record<string, unknown>; idempotency_key?: string; wait_seconds?: number }, call: CallContext) => {
        const key = args.idempotency_key === undefined ? {} : { idempotency_key: checkIdempotencyKey(args.idempotency_key, 'idempotency_key') };
        const { runId, existing } = await act(
          'start_run',
          args.workflow,
          { workflow: args.workflow, ...(args.idempotency_key === undefined ? {} : { idempotency_key: args.idempotency_key }) },
          () => daemon.launch({ namespace: who.namespace, workflow: args.workflow, inputs: args.inputs ?? {}, origin: 'mcp', actor: who.actor, ...key }),
          (started) => started.runId,
        );
        if (!existing) return after(runId, args.wait_seconds, call);
        const note = `run ${runId} was started before with idempotency key ${JSON.stringify(args.idempotency_key)}: nothing new was started`;
        return answer(await runAnswer(ctx, runId, { waited: await wait(runId, args.wait_seconds, call), note }));
      },
    },
    {
      name: 'resume_run',
      description: 'Go on with a run whose process is gone (interrupted): finished tasks are kept. The server drives it; waits up to wait_seconds.',
      inputSchema: z.object({ run_id: runIdArg(), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; wait_seconds?: number }, call: CallContext) => {
        const runId = await onRun('resume_run', args.run_id, undefined, (id) => daemon.act(id, { kind: 'resume' }));
        return after(runId, args.wait_seconds, call);
      },
    },
    {
      name: 'retry_run',
      description: 'Run the failed and cancelled tasks of a finished run again, keeping what succeeded; `from` re-runs that task and everything after it. The server drives it; waits up to wait_seconds.',
      inputSchema: z.object({ run_id: runIdArg(), from: z.string().min(1).max(500).optional().describe('re-run this task and everything after it'), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; from?: string; wait_seconds?: number }, call: CallContext) => {
        const runId = await onRun('retry_run', args.run_id, args.from ? { from: args.from } : undefined, (id) => daemon.act(id, { kind: 'retry', ...(args.from === undefined ? {} : { from: args.from }) }));
        return after(runId, args.wait_seconds, call);
      },
    },
    {
      name: 'cancel_run',
      description: 'Cancel a run that has not ended: its tasks are stopped and its cleanup (always()) tasks run. Waits up to wait_seconds for it to end.',
      inputSchema: z.object({ run_id: runIdArg(), reason: z.string().min(1).max(1000).optional(), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      handler: async (args: { run_id: string; reason?: string; wait_seconds?: number }, call: CallContext) => {
        const reason = args.reason ?? `cancelled over MCP by ${who.actor}`;
        const runId = await onRun('cancel_run', args.run_id, { reason }, (id) => daemon.cancel(id, reason));
        return after(runId, args.wait_seconds, call);
      },
    },
    {
      name: 'emit_event',
      description: "Deliver an event to the runs of your namespace waiting for it (ctx.waitForEvent), or to `run_id` only, and to the event triggers. Waits up to wait_seconds for each run reached.",
      inputSchema: z.object({ event: z.string().min(1).max(200), data: z.unknown().optional(), run_id: runIdArg().optional(), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async (args: { event: string; data?: unknown; run_id?: string; wait_seconds?: number }, call: CallContext) => {
        const { only, reached } = await act('emit_event', args.event, args.run_id ? { run: args.run_id } : undefined, async () => {
          const id = args.run_id === undefined ? undefined : await store.runs.resolveRunId(args.run_id);
          return { only: id, reached: await daemon.emit(who.namespace, args.event, args.data ?? null, id, 'mcp') };
        });
        if (reached.length === 0) {
          // As baton mcp answers: naming a run that does not wait is a mistake to hear about.
          if (only !== undefined) throw new BatonError('WAIT_NOT_FOUND', `run ${only} does not wait for event ${args.event}; it was delivered to no run (event triggers have it)`, { details: { run: only, event: args.event } });
          return answer({ event: args.event, delivered: [], note: `no run waits for event ${args.event}; event triggers have it` });
        }
        return answer({ event: args.event, delivered: await reachedAnswers(reached, args.wait_seconds, call) });
      },
    },
    {
      name: 'answer_approval',
      description: "Approve or reject a run's open approval, for the person you act for (needs the approver role). Waits up to wait_seconds.",
      inputSchema: z.object({ run_id: runIdArg(), step: z.string().min(1).max(500).optional(), approve: z.boolean(), comment: z.string().max(4000).optional(), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; step?: string; approve: boolean; comment?: string; wait_seconds?: number }, call: CallContext) => {
        const detail = { approved: args.approve, ...(args.step ? { task: args.step } : {}), ...(args.comment ? { comment: args.comment } : {}) };
        let answered: string[] = [];
        const runId = await onRun('answer_approval', args.run_id, detail, async (id) => {
          answered = (await daemon.approve(id, args.step, { approved: args.approve, ...(args.comment === undefined ? {} : { comment: args.comment }) }, who)).tasks;
        });
        return after(runId, args.wait_seconds, call, answered);
      },
    },
    {
      name: 'resolve_task',
      description: "Retry, skip or abort a task paused after failing (a workflow file's on_failure: pause), for the person you act for (needs the operator role). Waits up to wait_seconds.",
      inputSchema: z.object({ run_id: runIdArg(), task: z.string().min(1).max(500).optional(), resolution: z.enum(['retry', 'skip', 'abort']), comment: z.string().max(4000).optional(), wait_seconds: waitSeconds() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      handler: async (args: { run_id: string; task?: string; resolution: 'retry' | 'skip' | 'abort'; comment?: string; wait_seconds?: number }, call: CallContext) => {
        const detail = { resolution: args.resolution, ...(args.task ? { task: args.task } : {}), ...(args.comment ? { comment: args.comment } : {}) };
        let answered: string[] = [];
        const runId = await onRun('resolve_task', args.run_id, detail, async (id) => {
          answered = (await daemon.resolve(id, args.task, { resolution: args.resolution, ...(args.comment === undefined ? {} : { comment: args.comment }) }, who)).tasks;
        });
        return after(runId, args.wait_seconds, call, answered);
      },
    },
  ];
  return tools.map((tool) => guarded(tool, daemon, who));
}

/** The tool, refusing (and recording) a caller whose roles do not allow it; a tool missing from TOOL_RULES is refused to everyone. */
function guarded(tool: ToolDefinition, daemon: Daemon, who: Principal): ToolDefinition {
  const rule = toolRule(tool.name);
  return {
    ...tool,
    handler: async (args, call) => {
      if (rule === undefined || !allows(who.roles, rule.need)) {
        const denied = new BatonError(
          'ACCESS_DENIED',
          rule === undefined ? `the tool ${tool.name} is not in the permission table, so nobody may use it` : `${tool.name} needs the role ${rolesGranting(rule.need).join(' or ')}; this token has ${who.roles.join(', ') || 'none'}`,
          { details: { tool: tool.name } },
        );
        await recordAudit(daemon.store, who, { action: rule?.action ?? 'access.denied', target: tool.name, outcome: 'refused', error: denied });
        throw denied;
      }
      return tool.handler(args, call);
    },
  };
}
