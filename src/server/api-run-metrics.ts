/**
 * GET /api/metrics (docs/server.md#metrics): the runs of the caller's namespace over a
 * window, per workflow and per task, as `baton metrics --json` prints them (runs/metrics.ts
 * makes both). Its zod schema is the document's shape (observability/metrics/types.ts) for
 * the OpenAPI description. Not GET /metrics, Prometheus' text (api-metrics.ts).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { readMetrics } from '../runs/metrics.js';
import { DEFAULT_SINCE, windowStart } from '../runs/metrics-window.js';
import { errors } from './api-schemas.js';
import { principalOf } from './auth.js';
import type { Daemon } from './daemon.js';

const Spread = z.object({ p50: z.number(), p95: z.number(), max: z.number() }).describe('ms: nearest-rank percentiles, so each is a value observed').openapi('MetricsSpread');

const counts = {
  runs: z.number().describe('runs created in the window'),
  succeeded: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  unfinished: z.number().describe('pending, queued, running or waiting'),
  success_rate: z.number().optional().describe('of the finished runs (succeeded, failed, cancelled), the percentage that succeeded, two decimals; absent when none finished'),
};

const TaskMetrics = z
  .object({
    task: z.string().describe("its key, a loop's iterations and a step called again counted as one (envs[*], poll)"),
    type: z.string().optional().describe('shell, http, parallel... (a code run: step, map, sleep...), as the slowest run defines it'),
    runs: z.number().describe('times it started'),
    succeeded: z.number(),
    failed: z.number(),
    retries: z.number().describe('attempts beyond the first'),
    duration_ms: Spread.optional().describe('first start to end, retries included, of the times it ended succeeded or failed'),
    queue_wait_ms: z.number().optional().describe('mean time from its first TaskReady to its first start'),
  })
  .openapi('TaskMetrics');

const WorkflowMetrics = z
  .object({
    workflow: z.string(),
    ...counts,
    retries: z.number(),
    duration_ms: Spread.optional().describe('active time of the runs that succeeded or failed'),
    queue_wait_ms: z.number().optional().describe("mean time from a run's creation to its first task's start"),
    tasks: z.array(TaskMetrics),
    slowest_run: z
      .object({
        run_id: z.string(),
        status: z.string(),
        duration_ms: z.number(),
        critical_path: z.array(z.object({ task: z.string(), started_at: z.string(), ended_at: z.string(), duration_ms: z.number(), waited_ms: z.number() })),
      })
      .optional(),
  })
  .openapi('WorkflowMetrics');

export const MetricsDocument = z
  .object({
    since: z.string(),
    until: z.string(),
    workflow: z.string().optional(),
    totals: z.object(counts),
    workflows: z.array(WorkflowMetrics),
    bottlenecks: z.array(z.object({ workflow: z.string(), task: z.string(), runs: z.number(), duration_ms: Spread })),
  })
  .openapi('Metrics');

const route = createRoute({
  method: 'get',
  path: '/api/metrics',
  summary: "Runs, success rate, failures, retries, durations and queue waits per workflow and per task over a window of the caller's namespace, the slowest tasks, and the critical path of each workflow's slowest run: `baton metrics --json`",
  request: {
    query: z.object({
      workflow: z.string().min(1).max(200).optional().describe('only this workflow'),
      since: z.string().min(1).max(100).optional().describe(`runs created since: a duration back from now (7d, 24h, 30m) or a date (2026-11-22, 2026-11-22T15:40); default ${DEFAULT_SINCE}`),
    }),
  },
  responses: { 200: { description: 'the metrics', content: { 'application/json': { schema: MetricsDocument } } }, ...errors(400) },
});

export function mountRunMetricsRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(route, async (c) => {
    const { workflow, since } = c.req.valid('query');
    const now = Date.now();
    const doc = await readMetrics(daemon.store, { since: windowStart(since ?? DEFAULT_SINCE, now, 'since'), now, namespace: principalOf(c).namespace, ...(workflow === undefined ? {} : { workflow }) });
    return c.json(doc, 200);
  });
}
