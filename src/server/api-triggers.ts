/**
 * The API's routes for triggers (server/api.ts has the rest): the triggers served, the
 * record of their firings, and schedules (list, add, remove, pause, resume), in the same
 * style: zod schemas that validate requests and make the OpenAPI document.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errors, Json } from './api-schemas.js';
import { BatonError } from '../observability/errors.js';
import { redactUrl } from '../brokers/broker-url.js';
import { describeTrigger } from '../triggers/describe.js';
import { addSchedule, pauseSchedule, removeSchedule } from '../triggers/schedule-admin.js';
import type { Daemon } from './daemon.js';
import { auditNote, principalOf } from './auth.js';
import { hookUrl } from './hooks.js';
import type { Context } from 'hono';

const ScheduleId = z
  .string()
  .regex(/^(added:\d{1,9}|file:[^/\\\0]{1,200}:\d{1,4})$/, 'a schedule id as baton schedule list shows it (added:3, file:nightly:0)')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'added:1' });
const Schedule = z.object({ id: z.string(), workflow: z.string(), cron: z.string(), timezone: z.string(), missed: z.string(), origin: z.enum(['file', 'added']), paused: z.boolean(), next: z.string().optional(), file: z.string().optional(), problem: z.string().optional() }).openapi('Schedule');
const Firing = z
  .object({ id: z.number(), workflow: z.string(), trigger: z.string(), source: z.string(), at: z.number(), outcome: z.enum(['started', 'filtered', 'refused', 'duplicate', 'failed']), reason: z.string().optional(), code: z.string().optional(), run_id: z.string().optional(), delivery: z.string().optional() })
  .openapi('Firing');

const routes = {
  triggers: createRoute({
    method: 'get',
    path: '/api/triggers',
    summary: 'The triggers of the workflows served: what fires each, and webhooks their URL',
    responses: {
      200: {
        description: 'triggers',
        content: {
          'application/json': {
            schema: z.object({
              triggers: z.array(
                z.object({
                  workflow: z.string(),
                  type: z.string(),
                  fires_on: z.string(),
                  config: Json,
                  url: z.string().optional(),
                  subscription: z
                    .object({ broker: z.string(), consumer: z.string(), connected: z.boolean(), problem: z.string().optional(), code: z.string().optional(), retry_at: z.number().optional() })
                    .optional()
                    .describe("A message trigger's subscription: its broker (password hidden), consumer, and whether it is connected, or why not and when it tries again"),
                }),
              ),
            }),
          },
        },
      },
    },
  }),
  firings: createRoute({
    method: 'get',
    path: '/api/firings',
    summary: "Triggers' recent firings, newest first: those that started runs, and those filtered out or refused, with why",
    request: {
      query: z.object({
        workflow: z.string().min(1).optional(),
        outcome: z.enum(['started', 'filtered', 'refused', 'duplicate', 'failed']).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        before: z.coerce.number().int().min(1).optional().describe('only firings older than this id: the last id of the page before'),
      }),
    },
    responses: { 200: { description: 'firings', content: { 'application/json': { schema: z.object({ firings: z.array(Firing) }) } } }, ...errors(400) },
  }),
  schedules: createRoute({
    method: 'get',
    path: '/api/schedules',
    summary: 'Every schedule (declared in files, or added), with its next firing',
    responses: { 200: { description: 'schedules', content: { 'application/json': { schema: z.object({ schedules: z.array(Schedule) }) } } } },
  }),
  addSchedule: createRoute({
    method: 'post',
    path: '/api/schedules',
    summary: 'Add a schedule to a served workflow without editing its file',
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ workflow: z.string().min(1).max(200), cron: z.string().min(1).max(200), timezone: z.string().min(1).max(100).optional(), missed: z.enum(['skip', 'run-once']).optional() }).strict(),
          },
        },
      },
    },
    responses: { 201: { description: 'added', content: { 'application/json': { schema: Schedule } } }, ...errors(400, 404) },
  }),
  removeSchedule: createRoute({
    method: 'delete',
    path: '/api/schedules/{id}',
    summary: 'Remove an added schedule (one declared in a file is paused instead, or removed from the file)',
    request: { params: z.object({ id: ScheduleId }) },
    responses: { 200: { description: 'removed', content: { 'application/json': { schema: z.object({ id: z.string(), removed: z.literal(true) }) } } }, ...errors(400, 404, 409) },
  }),
  pause: createRoute({
    method: 'post',
    path: '/api/schedules/{id}/pause',
    summary: 'Pause a schedule: it fires no more until resumed',
    request: { params: z.object({ id: ScheduleId }) },
    responses: { 200: { description: 'paused', content: { 'application/json': { schema: Schedule } } }, ...errors(400, 404) },
  }),
  resume: createRoute({
    method: 'post',
    path: '/api/schedules/{id}/resume',
    summary: 'Resume a paused schedule',
    request: { params: z.object({ id: ScheduleId }) },
    responses: { 200: { description: 'resumed', content: { 'application/json': { schema: Schedule } } }, ...errors(400, 404) },
  }),
};

export function mountTriggerRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(routes.triggers, (c) => {
    const catalog = catalogOf(c, daemon);
    const subscriptions = catalog.messages.list();
    const triggers = [...catalog.workflows.values()].flatMap((w) =>
      (w.workflow.triggers ?? []).map((t, index) => {
        const sub = subscriptions.find((s) => s.workflow === w.name && s.index === index);
        // A broker URL written in the file may hold a password: never shown.
        const config = t.config.url === undefined ? t.config : { ...t.config, url: redactUrl(t.config.url) };
        return {
          workflow: w.name,
          type: t.type,
          fires_on: describeTrigger(t),
          config: config as Record<string, unknown>,
          ...(t.config.webhook ? { url: hookUrl(catalog.namespace, t.config.webhook) } : {}),
          ...(sub ? { subscription: { broker: sub.broker, consumer: sub.consumer, ...sub.state } } : {}),
        };
      }),
    );
    return c.json({ triggers }, 200);
  });
  app.openapi(routes.firings, async (c) => {
    const q = c.req.valid('query');
    const firings = await daemon.store.triggers.listFirings({ namespace: principalOf(c).namespace, ...(q.workflow ? { workflow: q.workflow } : {}), ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.before ? { before: q.before } : {}), limit: q.limit ?? 50 });
    return c.json({ firings }, 200);
  });
  app.openapi(routes.schedules, async (c) => c.json({ schedules: await catalogOf(c, daemon).schedules.list() }, 200));
  app.openapi(routes.addSchedule, async (c) => {
    const body = c.req.valid('json');
    const catalog = catalogOf(c, daemon);
    const loaded = catalog.workflow(body.workflow);
    const id = await addSchedule(daemon.store.triggers, { namespace: catalog.namespace, workflow: loaded.name, file: loaded.file, cron: body.cron, timezone: body.timezone ?? 'UTC', missed: body.missed ?? 'skip' });
    auditNote(c, { target: id, detail: { workflow: loaded.name, cron: body.cron } });
    await catalog.schedules.restart();
    return c.json(await scheduleView(catalog, id), 201);
  });
  app.openapi(routes.removeSchedule, async (c) => {
    const { id } = c.req.valid('param');
    const catalog = catalogOf(c, daemon);
    await removeSchedule(daemon.store.triggers, await catalog.schedules.list(), id, catalog.namespace);
    await catalog.schedules.restart();
    return c.json({ id, removed: true as const }, 200);
  });
  for (const [route, paused] of [
    [routes.pause, true],
    [routes.resume, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      const catalog = catalogOf(c, daemon);
      await pauseSchedule(daemon.store.triggers, await catalog.schedules.list(), id, paused, Date.now(), catalog.namespace);
      await catalog.schedules.restart();
      return c.json(await scheduleView(catalog, id), 200);
    });
  }
}

/** The caller's namespace as served here. */
function catalogOf(c: Context, daemon: Daemon) {
  return daemon.catalog(principalOf(c).namespace);
}

async function scheduleView(catalog: ReturnType<Daemon['catalog']>, id: string) {
  const view = (await catalog.schedules.list()).find((v) => v.id === id);
  if (!view) throw new BatonError('SCHEDULE_NOT_FOUND', `schedule ${id} is gone`);
  return view;
}
