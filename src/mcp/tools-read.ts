/**
 * The tools that only look: skills, workflow files, runs and their logs. None changes
 * anything (validate_workflow of text writes a scratch file it removes).
 */
import path from 'node:path';
import { z } from 'zod';
import { loadProject } from '../config/project.js';
import { BatonError } from '../observability/errors.js';
import { loadCatalog, skillRoots } from '../skills/catalog.js';
import { findSkill } from '../skills/resolve.js';
import type { Skill } from '../skills/skill-file.js';
import { loadWorkflowFile } from '../spec/index.js';
import { didYouMean } from '../spec/suggest.js';
import { launchBaton } from '../runs/launch.js';
import { readLogPage } from '../runs/log-pages.js';
import { RunDigest } from '../runs/run-view.js';
import { writeScratch } from '../runs/scratch.js';
import { runViews } from '../runs/views.js';
import { exited, waitFor } from '../runs/wait.js';
import { findWorkflowFiles } from '../runs/workflow-files.js';
import { DEFAULT_SINCE, windowStart } from '../runs/metrics-window.js';
import { MAIN_KEY } from '../engine/steps/program.js';
import { displayStatus } from '../store/ownership.js';
import type { Store } from '../store/store.js';
import { ANSWER_LIMIT, answer, type ToolAnswer } from './answers.js';
import { withStore, type McpContext } from './context.js';
import { runAnswer } from './run-answer.js';
import type { ToolDefinition } from './tools.js';

const DISPLAY_STATUSES = ['running', 'pending', 'queued', 'waiting', 'interrupted', 'succeeded', 'failed', 'cancelled'] as const;

/** Bytes of log text a get_logs answer holds by default, and at most (the rest of ANSWER_LIMIT is its header). */
export const LOG_PAGE_DEFAULT = 16 * 1024;
export const LOG_PAGE_MAX = ANSWER_LIMIT - 4 * 1024;

export function readTools(ctx: McpContext): ToolDefinition[] {
  return [
    {
      name: 'search_skills',
      description:
        'Find the skills (reusable, parameterised pieces of operations work: health checks, restarts, log triage...) that fit a task, ranked by name, tags, description and instructions. ' +
        'Returns at most `limit` skills with their description and whether baton can run them. Next: show_skill for one\'s instructions and inputs; start_run {"skill": name} runs a runnable one.',
      inputSchema: z.object({
        query: z.string().min(1).describe('what the task is, in a few words, e.g. "restart crashing pods"'),
        limit: z.number().int().min(1).max(50).optional().describe('how many skills at most (default 10)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ query, limit }: { query: string; limit?: number }) => {
        const { searchSkills } = await import('../skills/search.js');
        const catalog = projectCatalog(ctx);
        const hits = searchSkills(catalog.skills, query, limit ?? 10);
        return answer({
          query,
          searched: catalog.skills.length,
          skills: hits.map((hit) => ({ ...skillHead(hit.skill), score: Math.round(hit.score * 100) / 100, matched: hit.matched })),
          next: hits.length === 0 ? ['no skill matches: try other words, or write the workflow yourself (start_run {"text": ...})'] : ['show_skill {"name": ...} for a skill\'s instructions and inputs'],
        });
      },
    },
    {
      name: 'show_skill',
      description:
        'A skill\'s instructions (its SKILL.md), its runnable entry and the inputs that entry declares. A skill with no entry is instructions to follow yourself. ' +
        'Next: start_run {"skill": name, "inputs": {...}} runs a runnable skill.',
      inputSchema: z.object({ name: z.string().min(1).describe("the skill's name, as search_skills gives it") }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ name }: { name: string }) => {
        const skill = findSkill(projectCatalog(ctx), name);
        const entry = skill.entry === undefined ? undefined : path.join(skill.dir, skill.entry);
        return answer({
          ...skillHead(skill),
          dir: skill.dir,
          ...(skill.license ? { license: skill.license } : {}),
          ...(skill.compatibility ? { compatibility: skill.compatibility } : {}),
          metadata: skill.metadata,
          ...(entry === undefined ? {} : { entry, inputs: await entryInputs(ctx, entry) }),
          instructions: skill.body,
          next: entry === undefined ? ['this skill has no entry baton runs: follow its instructions'] : [`start_run {"skill": "${skill.name}", "inputs": {...}} runs it in the project's folder`],
        });
      },
    },
    {
      name: 'list_workflows',
      description:
        "The project's workflow files (YAML/JSON with tasks, TypeScript that imports 'baton'), found by a quick look at each file's start, not validated; at most 200, 4 folders deep, skipping node_modules and hidden folders. " +
        'Next: validate_workflow {"file": ...} checks one; start_run {"file": ...} runs one.',
      inputSchema: z.object({}),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async () => {
        const root = loadProject({ cwd: ctx.cwd }).root;
        const scan = findWorkflowFiles(root);
        return answer({ root, files: scan.files, ...(scan.incomplete ? { incomplete: true, note: 'the search stopped at its bound: there may be more files' } : {}) });
      },
    },
    {
      name: 'validate_workflow',
      description:
        'Check a workflow without running it: a file (YAML, JSON, TypeScript, or a script) or inline `text`. Returns what `baton validate --json` prints: valid, and every problem with file, line, col, code, message and hint ' +
        '(for text, file is "<text>" and line/col are in the text); for code, its workflow name and declared inputs. Next: fix what it reports, then start_run.',
      inputSchema: z.object({
        file: z.string().min(1).optional().describe("a workflow file, relative to the project's folder"),
        text: z.string().min(1).optional().describe('the workflow itself: YAML, JSON, TypeScript, or a script starting with #!'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ file, text }: { file?: string; text?: string }) => answer(await validate(ctx, oneOf({ file, text }, 'validate_workflow'))),
    },
    {
      name: 'list_runs',
      description:
        'Recent runs, newest first: id, workflow, status (running, pending, waiting, interrupted: its process is gone, succeeded, failed, cancelled), times and task counts. ' +
        'Next: get_run {"run_id": ...} for one run\'s tasks, error and summary.',
      inputSchema: z.object({
        status: z.enum(DISPLAY_STATUSES).optional().describe('only runs with this status'),
        workflow: z.string().min(1).optional().describe("only runs of this workflow (its name)"),
        limit: z.number().int().min(1).max(100).optional().describe('how many at most (default 20)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ status, workflow, limit }: { status?: (typeof DISPLAY_STATUSES)[number]; workflow?: string; limit?: number }) => {
        const max = limit ?? 20;
        const runs = await withStore(ctx, (store) => runViews(store, { status, workflow, limit: max }));
        // A summary is a run's own report: get_run shows it; the list stays short.
        const rows = runs.map(({ summary, ...run }) => (summary === undefined ? run : { ...run, has_summary: true }));
        return answer({ runs: rows, ...(rows.length === max ? { note: `the ${max} most recent; a larger limit shows more` } : {}) });
      },
    },
    {
      name: 'get_run',
      description:
        'One run as `baton status --json` shows it: its status, error, what a waiting run waits for, what a code run reported back (summary, bounded), counts, and its tasks (at most 50 listed, failed, running and waiting ones first) with their exit codes, outputs and errors. ' +
        '`next` says what can be done about it now. A waiting run that waits for an approval needs a person: approvals are for people unless the project allows agents to answer them.',
      inputSchema: z.object({ run_id: z.string().min(1).describe('the run id (a unique prefix works)') }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ run_id }: { run_id: string }) => answer(await runAnswer(ctx, run_id)),
    },
    {
      name: 'get_logs',
      description:
        `A run's output (or one task's), a page at a time, each at most limit_bytes (default ${LOG_PAGE_DEFAULT}, at most ${LOG_PAGE_MAX}). ` +
        'Without offset: the tail, the last limit_bytes. With offset "0": from the start; each answer gives next_offset, and truncated: true while there is more: call again with offset = next_offset until truncated is false. ' +
        'For the whole run, lines read `task | text` (stdout) and `task ! text` (stderr). The answer is a JSON header, then the text itself.',
      inputSchema: z.object({
        run_id: z.string().min(1).describe('the run id (a unique prefix works)'),
        task: z.string().min(1).optional().describe("only this task's output (its id, e.g. deploy or envs[qa]); a code run's own output is task main"),
        offset: z.string().min(1).optional().describe('where to start: "0" for the beginning, or the next_offset of an earlier answer; default: the tail'),
        limit_bytes: z.number().int().min(1024).max(LOG_PAGE_MAX).optional().describe(`bytes of text at most (default ${LOG_PAGE_DEFAULT})`),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async (args: { run_id: string; task?: string; offset?: string; limit_bytes?: number }) => logs(ctx, args),
    },
    {
      name: 'metrics',
      description:
        'How workflows have done over a window, as `baton metrics --json` prints it: per workflow runs, success rate (of finished runs, in %), failures, retries, duration p50/p95/max and queue wait, and per task the same; ' +
        'the slowest tasks (bottlenecks), and with `workflow`, the critical path of its slowest run (the tasks whose ends decided when it ended). Next: get_run {"run_id": ...} on the slowest run, get_logs on a slow task.',
      inputSchema: z.object({
        workflow: z.string().min(1).max(200).optional().describe('only this workflow (its name)'),
        since: z.string().min(1).max(100).optional().describe(`runs created since: a duration back from now (7d, 24h, 30m) or a date (2026-11-22); default ${DEFAULT_SINCE}`),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      handler: async ({ workflow, since }: { workflow?: string; since?: string }) => {
        const now = Date.now();
        const start = windowStart(since ?? DEFAULT_SINCE, now, 'since');
        const { readMetrics } = await import('../runs/metrics.js');
        return answer(await withStore(ctx, (store) => readMetrics(store, { since: start, now, ...(workflow === undefined ? {} : { workflow }) })));
      },
    },
  ];
}

function projectCatalog(ctx: McpContext) {
  return loadCatalog(ctx.skillRoots ? ctx.skillRoots() : skillRoots(loadProject({ cwd: ctx.cwd })));
}

function skillHead(skill: Skill): Record<string, unknown> {
  return {
    name: skill.name,
    description: skill.description,
    ...(skill.tags.length > 0 ? { tags: skill.tags } : {}),
    runnable: skill.entry !== undefined,
    ...(skill.origin ? { from: skill.origin } : {}),
  };
}

/** What a skill's entry declares as inputs (decision 0009: the entry declares them). */
async function entryInputs(ctx: McpContext, entry: string): Promise<unknown> {
  const ext = path.extname(entry).toLowerCase();
  if (['.yaml', '.yml', '.json'].includes(ext)) {
    const loaded = await loadWorkflowFile(entry);
    if (!loaded.workflow) return { problems: `the entry has problems: validate_workflow {"file": "${entry}"} lists them` };
    return loaded.workflow.inputs;
  }
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    const checked = (await validate(ctx, { file: entry })).files[0] as { workflow?: { inputs?: unknown } } | undefined;
    return checked?.workflow?.inputs ?? { problems: `the entry does not load: validate_workflow {"file": "${entry}"} says why` };
  }
  return { note: 'a script: each input reaches it as the environment variable INPUT_<NAME> (upper case); it declares no types' };
}

interface Validation {
  valid: boolean;
  files: Array<Record<string, unknown>>;
}

/** `baton validate <file> --json`, run as its own process: exactly what the CLI reports. */
async function validate(ctx: McpContext, what: { file?: string; text?: string }): Promise<Validation> {
  const scratch = what.text === undefined ? undefined : writeScratch(what.text, 'mcp-validate');
  const file = scratch?.file ?? path.resolve(ctx.cwd, what.file!);
  try {
    const launched = launchBaton(['validate', file, '--json'], { cwd: ctx.cwd });
    try {
      if ((await waitFor(exited(launched), { timeoutMs: VALIDATE_MS })) !== 'done') {
        throw new BatonError('RUN_NOT_STARTED', `checking ${what.file ?? 'the text'} took over ${VALIDATE_MS / 1000} s: try again, or check it with baton validate`);
      }
      const { stdout, stderr } = launched.output();
      let parsed: Validation;
      try {
        parsed = JSON.parse(stdout) as Validation;
      } catch {
        const error = (JSON.parse(stdout.trim().split('\n').pop() || '{}') as { error?: { code: string; message: string } }).error;
        if (error) throw new BatonError(error.code, error.message);
        throw new BatonError('RUN_NOT_STARTED', `baton validate gave no answer (exit ${launched.exitCode()}): ${stderr.trim().split('\n').slice(-5).join('\n')}`);
      }
      return scratch ? renameFile(parsed, scratch.file, '<text>') : parsed;
    } finally {
      launched.release();
    }
  } finally {
    scratch?.remove();
  }
}

const VALIDATE_MS = 120_000;

/** The scratch file's path, wherever it appears, reads as `name`. */
function renameFile(result: Validation, file: string, name: string): Validation {
  return JSON.parse(JSON.stringify(result).split(JSON.stringify(file).slice(1, -1)).join(name)) as Validation;
}

/** Exactly one of `file` and `text`. MCP_BAD_ARGUMENTS otherwise. */
export function oneOf<T extends Record<string, string | undefined>>(given: T, tool: string): T {
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  if (set.length === 1) return given;
  const names = Object.keys(given).map((k) => `\`${k}\``);
  throw new BatonError('MCP_BAD_ARGUMENTS', `${tool} takes exactly one of ${names.join(', ')}${set.length === 0 ? '' : `, not ${set.map(([k]) => `\`${k}\``).join(' and ')}`}`, { details: { tool } });
}

async function logs(ctx: McpContext, args: { run_id: string; task?: string; offset?: string; limit_bytes?: number }): Promise<ToolAnswer> {
  return withStore(ctx, async (store) => {
    const runId = await store.runs.resolveRunId(args.run_id);
    const record = (await store.runs.getRun(runId))!;
    if (args.task !== undefined) await checkTask(store, runId, args.task);
    const limit = args.limit_bytes ?? LOG_PAGE_DEFAULT;
    const page = await readLogPage(store.logs, runId, { ...(args.task === undefined ? {} : { task: args.task }), ...(args.offset === undefined ? {} : { offset: args.offset }), limitBytes: limit });
    const status = displayStatus(record);
    const going = status === 'running' || status === 'pending';
    const from = args.offset === undefined ? 'tail' : 'offset';
    let more: string;
    if (from === 'tail') {
      more = page.truncated
        ? 'this is the tail: the output before it is left out; read from the start with offset "0", then each next_offset'
        : 'this is all the output so far';
      if (going) more += `; new output: offset = next_offset`;
    } else {
      more = page.truncated ? 'more follows: call again with offset = next_offset' : going ? 'the end so far: the run goes on; later, call again with offset = next_offset' : 'the end of the output';
    }
    const header = {
      run_id: runId,
      ...(args.task === undefined ? {} : { task: args.task }),
      run_status: status,
      from,
      bytes: page.bytes,
      truncated: page.truncated,
      next_offset: page.next,
      more,
      ...(page.bytes === 0 && !page.truncated ? { note: args.task === undefined ? 'no output' : `task ${args.task} has no output${going ? ' yet' : ''}` } : {}),
    };
    return answer(header, page.bytes === 0 ? [] : [page.text]);
  });
}

/** A task the run does not have is an error, not an empty page (while it runs, a loop's iterations may not exist yet). */
async function checkTask(store: Store, runId: string, task: string): Promise<void> {
  const keys = new Set((await store.runs.listTasks(runId)).map((t) => t.key));
  if (keys.has(task)) return;
  const digest = new RunDigest();
  digest.apply(await store.runs.readEvents(runId));
  for (const key of digest.nodes.keys()) keys.add(key);
  if (digest.code) keys.add(MAIN_KEY);
  if (keys.has(task)) return;
  const record = await store.runs.getRun(runId);
  const status = record === undefined ? 'failed' : displayStatus(record);
  if (status === 'running' || status === 'pending') return;
  throw new BatonError('RUN_UNKNOWN_TASK', `run ${runId} has no task '${task}'${didYouMean(task, keys)}`, { details: { run: runId, task } });
}
