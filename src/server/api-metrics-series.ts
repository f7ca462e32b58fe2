/**
 * GET /api/metrics/series (docs/server.md): the caller's namespace's runs over a window,
 * by time bucket, for the web UI's Metrics charts: runs, success rate and durations per
 * bucket, per task too, and failures by task. The same store read as GET /api/metrics
 * (RunStore.runStats), folded by observability/metrics/series.ts.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { BatonError } from '../observability/errors.js';
import { bucketCount, foldSeries, MAX_BUCKETS } from '../observability/metrics/series.js';
import { DEFAULT_SINCE, windowStart } from '../runs/metrics-window.js';
import { parseDuration } from '../spec/duration.js';
import { errors } from './api-schemas.js';
import { principalOf } from './auth.js';
import type { Daemon } from './daemon.js';

const HOUR = 3_600_000;
/** Shorter buckets than this would only draw noise, and cost a bucket per minute of a month. */
const MIN_BUCKET_MS = 60_000;

const Spread = z.object({ p50: z.number(), p95: z.number(), max: z.number() });
const point = {
  runs: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  success_rate: z.number().optional().describe('% of the finished ones that succeeded, two decimals; absent when none finished'),
  duration_ms: Spread.optional().describe('ms, nearest-rank p50/p95 and max of those that succeeded or failed'),
};

export const MetricsSeriesDocument = z
  .object({
    since: z.string(),
    until: z.string(),
    bucket_ms: z.number(),
    workflow: z.string().optional(),
    buckets: z.array(z.object({ start: z.string().describe('ISO time the bucket starts (aligned to whole multiples of the bucket since the epoch)'), ...point })).describe('runs by the bucket of their creation, oldest first'),
    workflows: z.array(z.object({ workflow: z.string(), runs: z.number(), failed: z.number(), points: z.array(z.object(point)).describe('aligned with buckets') })).describe("each workflow's runs by bucket"),
    tasks: z
      .array(z.object({ workflow: z.string(), task: z.string(), runs: z.number(), failed: z.number(), points: z.array(z.object(point)).describe('aligned with buckets') }))
      .describe("each task's starts by the bucket of its run's creation (loop iterations as one task); the 100 that ran most"),
    failures_by_task: z.array(z.object({ workflow: z.string(), task: z.string(), failed: z.number() })).describe('most failures first'),
  })
  .openapi('MetricsSeries');

const route = createRoute({
  method: 'get',
  path: '/api/metrics/series',
  summary: "The caller's namespace's runs over a window by time bucket: runs, success rate, duration p50/p95 per bucket, per task, and failures by task (the web UI's charts)",
  request: {
    query: z.object({
      workflow: z.string().min(1).max(200).optional().describe('only this workflow'),
      since: z.string().min(1).max(100).optional().describe(`runs created since: a duration back from now (7d, 24h) or a date; default ${DEFAULT_SINCE}`),
      bucket: z.string().min(1).max(20).optional().describe('each bucket: 5m, 1h, 6h, 1d; default 1h for a window up to 2 days, 6h up to 14 days, else 1d; at most 1000 buckets'),
    }),
  },
  responses: { 200: { description: 'the series', content: { 'application/json': { schema: MetricsSeriesDocument } } }, ...errors(400) },
});

export function mountMetricsSeriesRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(route, async (c) => {
    const { workflow, since, bucket } = c.req.valid('query');
    const until = Date.now();
    const start = windowStart(since ?? DEFAULT_SINCE, until, 'since');
    const window = { since: start, until, bucketMs: bucket === undefined ? defaultBucket(until - start) : bucketMs(bucket) };
    if (bucketCount(window) > MAX_BUCKETS) {
      throw new BatonError('METRICS_BAD_BUCKET', `a bucket of ${bucket ?? window.bucketMs + 'ms'} cuts the window into ${bucketCount(window)} buckets, more than ${MAX_BUCKETS}: give a larger bucket or a shorter window`, { details: { field: 'bucket', value: bucket } });
    }
    const rows = await daemon.store.runs.runStats({ since: start, namespace: principalOf(c).namespace, ...(workflow === undefined ? {} : { workflow }) });
    return c.json(foldSeries(rows, window, workflow), 200);
  });
}

/** Buckets of a window `span` ms long when none is asked for: about 24 to 60 of them. */
export function defaultBucket(span: number): number {
  if (span <= 2 * 24 * HOUR) return HOUR;
  if (span <= 14 * 24 * HOUR) return 6 * HOUR;
  return 24 * HOUR;
}

function bucketMs(value: string): number {
  let ms: number | undefined;
  try {
    ms = /[a-z]\s*$/i.test(value) ? parseDuration(value, 's') : undefined;
  } catch {
    ms = undefined;
  }
  if (ms === undefined || ms < MIN_BUCKET_MS) {
    throw new BatonError('METRICS_BAD_BUCKET', `bucket "${value}" is not a duration of a minute or more (5m, 1h, 6h, 1d)`, { details: { field: 'bucket', value } });
  }
  return ms;
}
