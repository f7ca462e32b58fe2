/**
 * The HTTP API of `baton serve`, on Hono (docs/decisions/0012-http-server.md): JSON under
 * /api, validated by the same zod schemas the OpenAPI 3.1 document at /api/openapi.json is
 * made from; errors in one shape (`{"error": {code, category, message}}`) with the status
 * of their category (observability/error-categories.ts); a run's events and log lines
 * live over server-sent events, resumable with Last-Event-ID (event-stream.ts).
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { errors, Json, RunId, RunParams } from './api-schemas.js';
import { bodyLimit } from 'hono/body-limit';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';
import { readLogPage } from '../runs/log-pages.js';
import { runViews, statusView } from '../runs/views.js';
import { VERSION } from '../config/version.js';
import { mountTriggerRoutes } from './api-triggers.js';
import { mountCircuitRoutes } from './api-circuits.js';
import { mountNotificationRoutes } from './api-notifications.js';
import { mountRunMetricsRoutes } from './api-run-metrics.js';
import { mountMetricsSeriesRoutes } from './api-metrics-series.js';
import { MAX_HISTORY, workflowList } from './workflow-list.js';
import { mountOverviewRoutes } from './api-overview.js';
import { mountAccessRoutes } from './api-access.js';
import { mountMcp } from './mcp-http.js';
import { mountWorkflowRoutes } from './api-workflows.js';
import type { Daemon } from './daemon.js';
import { mountHooks } from './hooks.js';
import { mountMetrics, type MetricsEndpoint } from './api-metrics.js';
import { checkIdempotencyKey } from '../engine/run-key.js';
import { MAX_KEY_LENGTH } from '../store/idempotency.js';
import { RUN_TRIGGERS } from '../store/events.js';
import { answerUnrouted, routed } from './api-routing.js';
import { pageForBrowsers } from './ui-static.js';
import { METRICS_PATH } from '../access/permissions.js';
import { momentOf } from '../spec/duration.js';
import { auditNote, authorize, principalOf, runIdOf } from './auth.js';
import { mountAnswerRoutes } from './api-answers.js';
import { eventStream } from './event-stream.js';

/** The largest request body read: runs are started with inputs, not data. */
export const MAX_BODY_BYTES = 1024 * 1024;


const WorkflowName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\\0]+$/, 'a workflow name')
  .openapi({ param: { name: 'name', in: 'path' }, example: 'deploy' });

const Accepted = z.object({ run_id: z.string(), status: z.string() });
const accepted = (what: string) => ({ 202: { description: what, content: { 'application/json': { schema: Accepted } } }, ...errors(400, 404, 409, 503) });
const optionalBody = <T extends z.ZodRawShape>(shape: T) => ({ required: false, content: { 'application/json': { schema: z.object(shape).strict() } } });


const StartedRun = z.object({
  run_id: z.string(),
  status: z.enum(['pending', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']),
  existing: z.boolean().optional().describe('true: an earlier start with the same idempotency_key made this run, and nothing was started'),
  links: z.object({ run: z.string(), events: z.string() }),
});

const routes = {
  health: createRoute({ method: 'get', path: '/healthz', summary: 'The server is up', responses: { 200: { description: 'up', content: { 'application/json': { schema: z.object({ status: z.literal('ok'), version: z.string() }) } } } } }),
  ready: createRoute({
    method: 'get',
    path: '/readyz',
    summary: 'The server can take work: its store answers',
    responses: { 200: { description: 'ready', content: { 'application/json': { schema: z.object({ status: z.literal('ready') }) } } }, ...errors(503) },
  }),
  workflows: createRoute({
    method: 'get',
    path: '/api/workflows',
    summary: 'The workflows of the served folder (trigger types, next scheduled firing, last runs with ?history=), and the files that do not load with their problems at line:col',
    request: { query: z.object({ history: z.coerce.number().int().min(0).max(MAX_HISTORY).optional().describe(`each workflow's last runs (0-${MAX_HISTORY}, default 0: none)`) }) },
    responses: {
      200: {
        description: 'workflows',
        content: {
          'application/json': {
            schema: z.object({
              workflows: z.array(
                z.object({
                  name: z.string(),
                  file: z.string(),
                  description: z.string().optional(),
                  inputs: Json,
                  trigger_types: z.array(z.string()).describe("its triggers' types, each once"),
                  next_run_at: z.string().optional().describe('the soonest next firing of its schedules that are not paused'),
                  last_runs: z.array(z.object({ run_id: z.string(), status: z.string(), created_at: z.string(), duration_ms: z.number().optional() })).optional().describe('with ?history=N: its last N runs, newest first'),
                }),
              ),
              problems: z.array(z.object({ file: z.string(), message: z.string(), diagnostics: z.array(z.object({ severity: z.string(), code: z.string(), message: z.string(), hint: z.string().optional(), line: z.number(), col: z.number(), path: z.string().optional() })).optional() })),
            }),
          },
        },
      },
    },
  }),
  startRun: createRoute({
    method: 'post',
    path: '/api/workflows/{name}/runs',
    summary: 'Start a run of a workflow; answers with its id at once, the run goes on in the server (or waits in the queue)',
    request: {
      params: z.object({ name: WorkflowName }),
      body: {
        required: false,
        content: {
          'application/json': {
            schema: z
              .object({
                inputs: Json.optional().describe("the workflow's inputs by name, checked against their declared types"),
                priority: z.number().int().min(-1_000_000).max(1_000_000).optional().describe('its place among queued runs: higher starts first, ties in arrival order (default 0)'),
                // Its length and characters are checked by the handler, for the same codes as every front end's.
                idempotency_key: z
                  .string()
                  .optional()
                  .describe(
                    `a name for this one start (1-${MAX_KEY_LENGTH} characters): the first request with it starts a run, and any later one in the namespace within the retention (idempotency.retention, default 24h) gets that run back (200 instead of 201, existing: true), on any server sharing the store; the key with another workflow or inputs is refused (409 RUN_IDEMPOTENCY_CONFLICT)`,
                  ),
              })
              .strict(),
          },
        },
      },
    },
    responses: {
      201: {
        description: 'recorded; the server drives it (`pending`), it waits in the queue for its concurrency key or the global limit (`queued`), or it was skipped (`cancelled`: on_conflict skip)',
        content: { 'application/json': { schema: StartedRun } },
      },
      200: {
        description: 'a request with this idempotency_key came before: its run, as it is now (`existing: true`, header Idempotent-Replayed: true); nothing was started',
        content: { 'application/json': { schema: StartedRun } },
      },
      ...errors(400, 404, 409, 503),
    },
  }),
  runs: createRoute({
    method: 'get',
    path: '/api/runs',
    summary: 'Runs, newest first',
    request: {
      query: z.object({
        workflow: z.string().min(1).optional(),
        status: z.enum(['pending', 'queued', 'running', 'waiting', 'interrupted', 'succeeded', 'failed', 'cancelled']).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        since: z.string().min(1).max(40).optional().describe('only runs created since: a duration back from now (1h, 24h, 7d) or a date (2026-11-22, 2026-11-22T15:40)'),
        trigger: z.enum(RUN_TRIGGERS).optional().describe('only runs fired by this kind of trigger; manual: started by hand (CLI, API, MCP)'),
        cursor: z
          .string()
          .regex(/^\d{1,16}\.[0-9A-Za-z]{1,26}$/, 'a next_cursor from an earlier page')
          .optional()
          .describe('where the page starts: the next_cursor of the page before'),
      }),
    },
    responses: {
      200: { description: 'runs, and next_cursor when there may be more', content: { 'application/json': { schema: z.object({ runs: z.array(Json), next_cursor: z.string().optional() }) } } },
      ...errors(400),
    },
  }),
  run: createRoute({
    method: 'get',
    path: '/api/runs/{id}',
    summary: 'A run with its tasks, as `baton status --json` shows it',
    request: { params: z.object({ id: RunId }) },
    responses: { 200: { description: 'the run', content: { 'application/json': { schema: Json } } }, ...errors(400, 404) },
  }),
  tasks: createRoute({
    method: 'get',
    path: '/api/runs/{id}/tasks',
    summary: "A run's tasks as GET /api/runs/{id} has them (status, attempts, outputs, error, what a waiting one waits for), without the rest",
    request: { params: z.object({ id: RunId }) },
    responses: { 200: { description: 'its tasks', content: { 'application/json': { schema: z.object({ run_id: z.string(), status: z.string(), tasks: z.array(Json) }) } } }, ...errors(400, 404) },
  }),
  cancel: createRoute({
    method: 'post',
    path: '/api/runs/{id}/cancel',
    summary: 'Cancel a run: the process driving it is asked to (it stops its tasks and runs their always() cleanup); one nobody drives is cancelled here',
    request: { params: RunParams, body: optionalBody({ reason: z.string().max(1000).optional(), compensate: z.boolean().optional().describe("undo the tasks that succeeded first: their compensate: tasks run, the last to succeed first") }) },
    responses: accepted('cancel_requested (its driver carries it out) or cancelling (this server does)'),
  }),
  retry: createRoute({
    method: 'post',
    path: '/api/runs/{id}/retry',
    summary: "Run a finished run's failed and cancelled tasks again (or `from` a task on), keeping what succeeded",
    request: { params: RunParams, body: optionalBody({ from: z.string().min(1).max(500).optional() }) },
    responses: accepted('the run goes on in this server'),
  }),
  resume: createRoute({
    method: 'post',
    path: '/api/runs/{id}/resume',
    summary: 'Go on with an interrupted run (its process is gone): finished tasks are kept',
    request: { params: RunParams },
    responses: accepted('the run goes on in this server'),
  }),
  emit: createRoute({
    method: 'post',
    path: '/api/events/{name}',
    summary: 'Deliver an event to the waits open for it (waitForEvent), in every run or in `run_id`',
    request: {
      params: z.object({ name: z.string().min(1).max(200).openapi({ param: { name: 'name', in: 'path' }, example: 'dns.propagated' }) }),
      body: optionalBody({ data: z.unknown().optional(), run_id: RunId.optional() }),
    },
    responses: {
      200: { description: 'the runs it reached (none is not an error)', content: { 'application/json': { schema: z.object({ event: z.string(), delivered: z.array(z.object({ run_id: z.string(), tasks: z.array(z.string()) })) }) } } },
      ...errors(400, 404),
    },
  }),

  logs: createRoute({
    method: 'get',
    path: '/api/runs/{id}/logs',
    summary: "A run's output a page at a time: the tail by default, or forward from `offset` (a page's `next`, or 0 for the start); every page at most `limit_bytes`",
    request: {
      params: RunParams,
      query: z.object({
        task: z.string().min(1).max(500).optional(),
        offset: z.string().max(200).optional(),
        limit_bytes: z.coerce.number().int().min(1).max(1024 * 1024).optional(),
      }),
    },
    responses: {
      200: {
        description: 'one page: its text (lines as `baton logs` prints them), whether output was left out, and where the next page starts',
        content: { 'application/json': { schema: z.object({ text: z.string(), bytes: z.number(), truncated: z.boolean(), next: z.string() }) } },
      },
      ...errors(400, 404),
    },
  }),
  events: createRoute({
    method: 'get',
    path: '/api/runs/{id}/events',
    summary: "A run's events and log lines as server-sent events, interleaved in time, live until it ends; resumable with Last-Event-ID",
    request: {
      params: z.object({ id: RunId }),
      query: z.object({
        logs: z.enum(['true', 'false']).optional().describe('false: events only, each id its seq (default true: log lines too, as `log` events)'),
        task: z.string().min(1).max(500).optional().describe("only this task's log lines (events are all sent)"),
      }),
      headers: z.object({ 'last-event-id': z.string().max(16_384).optional().describe('the id of the last event received: the stream goes on after it') }),
    },
    responses: {
      200: {
        description:
          'one SSE event per run event (event: its type, data: the event as JSON) and per log line (event: `log`, data: {task, attempt, stream, at, text}); id: the event seq, then, with logs, where each running attempt\'s output is (docs/server.md)',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...errors(400, 404),
    },
  }),
};

const DOCUMENT = { openapi: '3.1.0', info: { title: 'baton', version: VERSION, description: 'The HTTP API of `baton serve`. See docs/server.md.' } };

/**
 * The OpenAPI 3.1 document of the API, as /api/openapi.json serves it (`baton schema
 * --openapi`, committed as schema/openapi.json). Made from the routes alone: no handler runs.
 */
export function openApiDocument(): unknown {
  return createApi(undefined as unknown as Daemon).getOpenAPI31Document(DOCUMENT);
}

export interface ApiOptions {
  /** Webhook deliveries taken per second (hooks.ts); default 1000. */
  webhookRate?: number;
  /** Failed authentications one address may make in a minute (server/auth.ts); default 20. */
  authFailuresPerMinute?: number;
  /** Host names this server is reached by, besides loopback's: MCP refuses others (DNS rebinding). */
  allowedHosts?: readonly string[];
  /** What answers GET /metrics (server/api-metrics.ts); default none: the route is not served. */
  metrics?: MetricsEndpoint;
  /** /metrics needs no token (server.metrics.auth: false); default false. */
  publicMetrics?: boolean;
  /** The built web UI (dist/ui) served at `/` (server/ui-static.ts); default none: not served. */
  uiDir?: string;
}

export function createApi(daemon: Daemon, options: ApiOptions = {}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const issue = result.error.issues[0];
      const where = issue.path.length > 0 ? issue.path.join('.') : 'the request';
      return c.json(errorDocument(new BatonError('API_BAD_REQUEST', `${where}: ${issue.message}`, { details: { field: issue.path.join('.') } })), 400);
    },
  });

  // A browser opening /metrics gets the UI's Metrics view, Prometheus its text (server/ui-static.ts).
  if (options.uiDir !== undefined) app.use(METRICS_PATH, pageForBrowsers(options.uiDir));
  // Before anything else: who asks, and whether the permission table lets them (server/auth.ts).
  // (openApiDocument makes the routes with no daemon: nothing here may touch it before a request.)
  app.use(
    '*',
    authorize({
      store: () => daemon.store,
      log: (line) => daemon.log(line),
      hasNamespace: (name) => daemon.catalogs.has(name),
      isRouted: (method, path) => routed(app, method, path),
      ...(options.authFailuresPerMinute ? { failuresPerMinute: options.authFailuresPerMinute } : {}),
      ...(options.publicMetrics ? { publicMetrics: true } : {}),
    }) as never,
  );
  app.use('/api/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json(errorDocument(new BatonError('API_BODY_TOO_LARGE', `the request body is over ${MAX_BODY_BYTES} bytes`)), 413) }));

  app.openapi(routes.health, (c) => c.json({ status: 'ok' as const, version: VERSION }, 200));
  app.openapi(routes.ready, async (c) => {
    await daemon.store.runs.listRuns({ limit: 1 });
    return c.json({ status: 'ready' as const }, 200);
  });
  app.openapi(routes.workflows, async (c) => {
    const catalog = daemon.catalog(principalOf(c).namespace);
    return c.json(await workflowList(daemon.store, catalog, c.req.valid('query').history ?? 0), 200);
  });
  app.openapi(routes.startRun, async (c) => {
    const { name } = c.req.valid('param');
    const body = bodyOf(c, () => c.req.valid('json'));
    const who = principalOf(c);
    const key = body?.idempotency_key === undefined ? {} : { idempotency_key: checkIdempotencyKey(body.idempotency_key, 'idempotency_key') };
    const { runId, status, existing } = await daemon.launch({
      namespace: who.namespace,
      workflow: name,
      inputs: body?.inputs ?? {},
      origin: 'api',
      actor: who.actor,
      ...(body?.priority === undefined ? {} : { priority: body.priority }),
      ...key,
    });
    auditNote(c, { target: runId, detail: { workflow: name, ...(existing ? { idempotent_repeat: true } : {}) } });
    c.header('Location', `/api/runs/${runId}`);
    const links = { run: `/api/runs/${runId}`, events: `/api/runs/${runId}/events` };
    if (existing) {
      // Stripe's header for an answer that is an earlier request's.
      c.header('Idempotent-Replayed', 'true');
      return c.json({ run_id: runId, status, existing: true, links }, 200);
    }
    const shown = status === 'queued' || status === 'cancelled' ? status : ('pending' as const);
    return c.json({ run_id: runId, status: shown, links }, 201);
  });
  app.openapi(routes.runs, async (c) => {
    const query = c.req.valid('query');
    const limit = query.limit ?? 20;
    const before = query.cursor === undefined ? undefined : { created_at: Number(query.cursor.slice(0, query.cursor.indexOf('.'))), id: query.cursor.slice(query.cursor.indexOf('.') + 1) };
    const since = query.since === undefined ? undefined : sinceOf(query.since);
    const runs = await runViews(daemon.store, { namespace: principalOf(c).namespace, workflow: query.workflow, status: query.status, limit, ...(before ? { before } : {}), ...(since === undefined ? {} : { since }), ...(query.trigger === undefined ? {} : { trigger: query.trigger }) });
    const last = runs.at(-1);
    // The page is full: there may be more, from after its last run.
    const next = runs.length === limit && last ? { next_cursor: `${Date.parse(last.created_at)}.${last.run_id}` } : {};
    return c.json({ runs: runs as unknown as Record<string, unknown>[], ...next }, 200);
  });
  app.openapi(routes.run, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    return c.json((await statusView(daemon.store, id)) as unknown as Record<string, unknown>, 200);
  });
  app.openapi(routes.tasks, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const view = await statusView(daemon.store, id);
    return c.json({ run_id: id, status: view.status, tasks: view.tasks as unknown as Record<string, unknown>[] }, 200);
  });
  app.openapi(routes.cancel, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const body = bodyOf(c, () => c.req.valid('json'));
    const how = await daemon.cancel(id, body?.reason ?? 'cancelled over the API', body?.compensate === true);
    return c.json({ run_id: id, status: how === 'requested' ? 'cancel_requested' : 'cancelling' }, 202);
  });
  app.openapi(routes.retry, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const from = bodyOf(c, () => c.req.valid('json'))?.from;
    await daemon.act(id, { kind: 'retry', ...(from === undefined ? {} : { from }) });
    return c.json({ run_id: id, status: 'running' }, 202);
  });
  app.openapi(routes.resume, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    await daemon.act(id, { kind: 'resume' });
    return c.json({ run_id: id, status: 'running' }, 202);
  });
  app.openapi(routes.emit, async (c) => {
    const { name } = c.req.valid('param');
    const body = bodyOf(c, () => c.req.valid('json'));
    const only = body?.run_id === undefined ? undefined : await runIdOf(c, daemon, body.run_id);
    const reached = await daemon.emit(principalOf(c).namespace, name, body?.data ?? null, only);
    return c.json({ event: name, delivered: reached.map((d) => ({ run_id: d.runId, tasks: d.tasks })) }, 200);
  });
  app.openapi(routes.logs, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const query = c.req.valid('query');
    const page = await readLogPage(daemon.store.logs, id, { ...(query.task ? { task: query.task } : {}), ...(query.offset !== undefined ? { offset: query.offset } : {}), limitBytes: query.limit_bytes ?? 64 * 1024 });
    return c.json(page, 200);
  });
  app.openapi(routes.events, async (c) => {
    const id = await runIdOf(c, daemon, c.req.valid('param').id);
    const query = c.req.valid('query');
    const lastEventId = c.req.valid('header')['last-event-id'];
    return eventStream(c, daemon.store, id, { logs: query.logs !== 'false', ...(query.task === undefined ? {} : { task: query.task }), ...(lastEventId === undefined ? {} : { lastEventId }) }) as never;
  });

  mountWorkflowRoutes(app, daemon);
  mountAccessRoutes(app, daemon);
  mountMcp(app, daemon, { ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}) });
  mountTriggerRoutes(app, daemon);
  mountCircuitRoutes(app, daemon);
  mountNotificationRoutes(app, daemon);
  mountRunMetricsRoutes(app, daemon);
  mountMetricsSeriesRoutes(app, daemon);
  mountOverviewRoutes(app, daemon);
  mountHooks(app, daemon, { rate: options.webhookRate ?? 1000 });
  if (options.metrics) mountMetrics(app, options.metrics);
  app.doc31('/api/openapi.json', DOCUMENT);

  answerUnrouted(app, options.uiDir);
  mountAnswerRoutes(app, daemon);
  return app;
}

/** A request's JSON body, or undefined when it sends none (a body is optional on these routes). */
function bodyOf<T>(c: { req: { header: (name: string) => string | undefined } }, read: () => T): T | undefined {
  return c.req.header('content-length') === '0' || !c.req.header('content-type') ? undefined : read();
}



/** ?since= of GET /api/runs: a duration back from now or a date, as `baton history --since` reads it. */
function sinceOf(value: string): number {
  const at = momentOf(value, Date.now());
  if (at === undefined) throw new BatonError('API_BAD_REQUEST', `since "${value}" is neither a duration back from now (1h, 24h, 7d) nor a date (2026-11-22, 2026-11-22T15:40)`, { details: { field: 'since' } });
  return at;
}
