/**
 * The API's routes for workflows and skills beyond the list (server/api.ts has the rest):
 * one workflow with its triggers, next schedules and last runs; a workflow's text checked
 * without saving it; the skills catalog, listed or searched.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errors, Json } from './api-schemas.js';
import { runViews } from '../runs/views.js';
import { loadCatalog } from '../skills/catalog.js';
import { runnableSkill } from '../skills/resolve.js';
import { skillInterface } from '../skills/resolver.js';
import { parseWorkflow } from '../spec/load.js';
import { describeTrigger } from '../triggers/describe.js';
import type { Daemon } from './daemon.js';
import { principalOf } from './auth.js';
import { hookUrl } from './hooks.js';
import { readFile } from 'node:fs/promises';

/** The most of a workflow's file GET /api/workflows/{name} gives as its `source`. */
export const MAX_SOURCE = 256 * 1024;

/** The largest workflow text checked: a workflow file, not data. */
const MAX_TEXT = 1024 * 1024 - 1024;

const Diagnostic = z.object({ severity: z.enum(['error', 'warning']), code: z.string(), message: z.string(), hint: z.string().optional(), line: z.number(), col: z.number(), path: z.string().optional() }).openapi('Diagnostic');

const routes = {
  workflow: createRoute({
    method: 'get',
    path: '/api/workflows/{name}',
    summary: "A workflow: its inputs, triggers, schedules with their next firing, its last runs, and its file's text (`source`)",
    request: { params: z.object({ name: z.string().min(1).max(200).regex(/^[^/\\\0]+$/, 'a workflow name').openapi({ param: { name: 'name', in: 'path' }, example: 'deploy' }) }) },
    responses: { 200: { description: 'the workflow', content: { 'application/json': { schema: Json } } }, ...errors(400, 404) },
  }),
  validate: createRoute({
    method: 'post',
    path: '/api/validate',
    summary: "Check a workflow's text as `baton validate` does, without saving or running it",
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z
              .object({
                text: z.string().max(MAX_TEXT).describe('the workflow file as text'),
                format: z.enum(['yaml', 'json']).optional().describe('how the text is written (default yaml)'),
              })
              .strict(),
          },
        },
      },
    },
    responses: {
      200: { description: 'valid or not, with every problem at line:col', content: { 'application/json': { schema: z.object({ valid: z.boolean(), diagnostics: z.array(Diagnostic), workflow: z.object({ name: z.string(), inputs: Json }).optional() }) } } },
      ...errors(400),
    },
  }),
  skills: createRoute({
    method: 'get',
    path: '/api/skills',
    summary: "The project's skills (and baton's built-in ones), or those that fit a query, best first",
    request: { query: z.object({ q: z.string().min(1).max(500).optional().describe('what the task is, in a few words'), limit: z.coerce.number().int().min(1).max(200).optional(), inputs: z.enum(['true', 'false']).optional().describe("with true, each runnable skill's `interface`: its entry's `kind`, `inputs` and `outputs` (a workflow file's), or a `note` saying where they are (a script's, a TypeScript entry's)") }) },
    responses: { 200: { description: 'skills', content: { 'application/json': { schema: z.object({ skills: z.array(Json) }) } } }, ...errors(400) },
  }),
};

export function mountWorkflowRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(routes.workflow, async (c) => {
    const catalog = daemon.catalog(principalOf(c).namespace);
    const loaded = catalog.workflow(c.req.valid('param').name);
    const w = loaded.workflow;
    const schedules = (await catalog.schedules.list()).filter((s) => s.workflow === loaded.name);
    const lastRuns = await runViews(daemon.store, { namespace: catalog.namespace, workflow: loaded.name, limit: 5 });
    return c.json(
      {
        name: loaded.name,
        file: loaded.file,
        ...(w.description ? { description: w.description } : {}),
        kind: loaded.code ? 'code' : 'file',
        inputs: w.inputs as Record<string, unknown>,
        triggers: (w.triggers ?? []).map((t) => ({ type: t.type, fires_on: describeTrigger(t), ...(t.config.webhook ? { url: hookUrl(catalog.namespace, t.config.webhook) } : {}) })),
        schedules,
        last_runs: lastRuns,
        ...(await sourceOf(loaded.file)),
      } as Record<string, unknown>,
      200,
    );
  });
  app.openapi(routes.validate, (c) => {
    const { text, format } = c.req.valid('json');
    const result = parseWorkflow(text, format === 'json' ? 'request.json' : 'request.yaml');
    const diagnostics = result.diagnostics.map(({ file: _file, ...d }) => d);
    return c.json({ valid: result.workflow !== undefined, diagnostics, ...(result.workflow ? { workflow: { name: result.workflow.name, inputs: result.workflow.inputs as Record<string, unknown> } } : {}) }, 200);
  });
  app.openapi(routes.skills, async (c) => {
    const { q, limit, inputs } = c.req.valid('query');
    const catalog = loadCatalog(daemon.catalog(principalOf(c).namespace).skillRoots());
    // A TypeScript entry's inputs would need its code bundled and run: its note says so instead.
    const described = async (s: (typeof catalog.skills)[number]) => (inputs === 'true' && s.entry !== undefined ? { interface: await skillInterface(runnableSkill(catalog, s.name)) } : {});
    const head = async (s: (typeof catalog.skills)[number]) => ({ name: s.name, description: s.description, ...(s.tags.length > 0 ? { tags: s.tags } : {}), runnable: s.entry !== undefined, ...(s.origin ? { from: s.origin } : {}), folder: s.dir, ...(await described(s)) });
    if (q === undefined) return c.json({ skills: await Promise.all(catalog.skills.slice(0, limit ?? 200).map(head)) }, 200);
    const { searchSkills } = await import('../skills/search.js');
    return c.json({ skills: await Promise.all(searchSkills(catalog.skills, q, limit ?? 10).map(async (hit) => ({ ...(await head(hit.skill)), score: Math.round(hit.score * 100) / 100 }))) }, 200);
  });
}

/**
 * The workflow's file as it is now (the web UI shows it): `source`, cut at MAX_SOURCE with
 * `source_truncated`; nothing when the file cannot be read (removed since it was loaded).
 */
async function sourceOf(file: string): Promise<{ source?: string; source_truncated?: true }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  return text.length > MAX_SOURCE ? { source: text.slice(0, MAX_SOURCE), source_truncated: true } : { source: text };
}
