/**
 * The API's routes that answer what a run waits for (docs/server.md): its open approvals,
 * approving or rejecting one, and retrying, skipping or aborting a task paused after failing
 * (on_failure: pause). Each answer is audited with what it said; server/api.ts has the rest.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { openWaits } from '../engine/steps/answer.js';
import { loadRun } from '../engine/resume.js';
import { errors, RunId, RunParams } from './api-schemas.js';
import { auditNote, principalOf, runIdOf } from './auth.js';
import type { Daemon } from './daemon.js';

const Answer = z.object({ approved: z.boolean(), comment: z.string().max(4000).optional() }).strict();
const Answered = z.object({ run_id: z.string(), task: z.string(), approved: z.boolean(), timed_out: z.boolean() });
const Resolution = z.object({ resolution: z.enum(['retry', 'skip', 'abort']), comment: z.string().max(4000).optional() }).strict();
const Resolved = z.object({ run_id: z.string(), task: z.string(), resolution: z.enum(['retry', 'skip', 'abort']) });

const routes = {
  approvals: createRoute({
    method: 'get',
    path: '/api/approvals',
    summary: 'The approvals open in waiting runs',
    responses: {
      200: {
        description: 'open approvals',
        content: { 'application/json': { schema: z.object({ approvals: z.array(z.object({ run_id: z.string(), workflow: z.string(), task: z.string(), prompt: z.string().optional(), approvers: z.array(z.string()).optional(), timeout_at: z.number().optional() })) }) } },
      },
    },
  }),
  approveOnly: createRoute({
    method: 'post',
    path: '/api/runs/{id}/approvals',
    summary: "Answer a run's only open approval (WAIT_AMBIGUOUS when several are open: name one with /approvals/{task})",
    request: { params: RunParams, body: { required: true, content: { 'application/json': { schema: Answer } } } },
    responses: { 200: { description: 'recorded', content: { 'application/json': { schema: Answered } } }, ...errors(400, 403, 404, 409) },
  }),
  approve: createRoute({
    method: 'post',
    path: '/api/runs/{id}/approvals/{task}',
    summary: 'Answer an approval of a run: approve or reject it',
    request: {
      params: z.object({ id: RunId, task: z.string().min(1).max(500).openapi({ param: { name: 'task', in: 'path' }, example: 'go-live' }) }),
      body: { required: true, content: { 'application/json': { schema: Answer } } },
    },
    responses: {
      200: { description: 'recorded', content: { 'application/json': { schema: Answered } } },
      ...errors(400, 403, 404, 409),
    },
  }),
  resolveOnly: createRoute({
    method: 'post',
    path: '/api/runs/{id}/pauses',
    summary: "Retry, skip or abort a run's only paused task (on_failure: pause; WAIT_AMBIGUOUS when several are paused: name one with /pauses/{task})",
    request: { params: RunParams, body: { required: true, content: { 'application/json': { schema: Resolution } } } },
    responses: { 200: { description: 'recorded', content: { 'application/json': { schema: Resolved } } }, ...errors(400, 404, 409) },
  }),
  resolve: createRoute({    method: 'post',
    path: '/api/runs/{id}/pauses/{task}',
    summary: 'Retry, skip or abort a task paused after failing (on_failure: pause)',
    request: {
      params: z.object({ id: RunId, task: z.string().min(1).max(500).openapi({ param: { name: 'task', in: 'path' }, example: 'deploy' }) }),
      body: { required: true, content: { 'application/json': { schema: Resolution } } },
    },
    responses: { 200: { description: 'recorded', content: { 'application/json': { schema: Resolved } } }, ...errors(400, 404, 409) },
  }),
};

export function mountAnswerRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(routes.approvals, async (c) => c.json({ approvals: await openApprovals(daemon, principalOf(c).namespace) }, 200));
  app.openapi(routes.approveOnly, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const { approved, comment } = c.req.valid('json');
    auditNote(c, { detail: { approved, ...(comment === undefined ? {} : { comment }) } });
    const delivered = await daemon.approve(id, undefined, { approved, ...(comment === undefined ? {} : { comment }) }, principalOf(c));
    return c.json({ run_id: id, task: delivered.tasks[0], approved, timed_out: delivered.timedOut === true }, 200);
  });
  app.openapi(routes.approve, async (c) => {
    const { id: given, task } = c.req.valid('param');
    const id = await runIdOf(c, daemon, given);
    const { approved, comment } = c.req.valid('json');
    auditNote(c, { detail: { task, approved, ...(comment === undefined ? {} : { comment }) } });
    const delivered = await daemon.approve(id, task, { approved, ...(comment === undefined ? {} : { comment }) }, principalOf(c));
    return c.json({ run_id: id, task, approved, timed_out: delivered.timedOut === true }, 200);
  });
  app.openapi(routes.resolveOnly, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const { resolution, comment } = c.req.valid('json');
    auditNote(c, { detail: { resolution, ...(comment === undefined ? {} : { comment }) } });
    const delivered = await daemon.resolve(id, undefined, { resolution, ...(comment === undefined ? {} : { comment }) }, principalOf(c));
    return c.json({ run_id: id, task: delivered.tasks[0], resolution }, 200);
  });
  app.openapi(routes.resolve, async (c) => {
    const { id: given, task } = c.req.valid('param');
    const id = await runIdOf(c, daemon, given);
    const { resolution, comment } = c.req.valid('json');
    auditNote(c, { detail: { task, resolution, ...(comment === undefined ? {} : { comment }) } });
    await daemon.resolve(id, task, { resolution, ...(comment === undefined ? {} : { comment }) }, principalOf(c));
    return c.json({ run_id: id, task, resolution }, 200);
  });
}

/** The approvals open in the namespace's waiting runs. */
async function openApprovals(daemon: Daemon, namespace: string) {
  const out: Array<{ run_id: string; workflow: string; task: string; prompt?: string; approvers?: string[]; timeout_at?: number }> = [];
  for (const run of await daemon.store.runs.listRuns({ namespace, status: 'waiting', limit: 1000 })) {
    for (const wait of openWaits(await loadRun(daemon.store.runs, run.id))) {
      if (wait.kind !== 'approval') continue;
      out.push({ run_id: run.id, workflow: run.workflow, task: wait.task, ...(wait.prompt ? { prompt: wait.prompt } : {}), ...(wait.approvers ? { approvers: wait.approvers } : {}), ...(wait.timeout_at ? { timeout_at: wait.timeout_at } : {}) });
    }
  }
  return out;
}
