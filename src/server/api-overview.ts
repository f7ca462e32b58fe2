/**
 * `GET /api/overview` (docs/server.md#overview): the store at a glance for the caller's
 * namespace, as `baton monitor --server` shows it: run counts, the unfinished runs with
 * their running tasks and progress, the runs that ended last, workers and queue depth
 * (runs/overview.ts makes it, for `baton monitor` on a local store too).
 *
 * One reader per namespace and size asked for is kept between requests, so a monitor
 * polling twice a second costs each unfinished run's new events only, not its whole log.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { OverviewReader } from '../runs/overview.js';
import { errors, Json } from './api-schemas.js';
import { principalOf } from './auth.js';
import type { Daemon } from './daemon.js';

/** Readers kept, at most: each holds what it read of the unfinished runs it showed. */
const MAX_READERS = 32;

const route = createRoute({
  method: 'get',
  path: '/api/overview',
  summary: "The caller's namespace at a glance: run counts (running, interrupted, waiting, queued, failed in the last hour and day), the unfinished runs with their running tasks and progress, the runs that ended last, workers and queue depth",
  request: {
    query: z.object({
      active: z.coerce.number().int().min(0).max(500).optional().describe('unfinished runs listed, at most (default 50)'),
      recent: z.coerce.number().int().min(0).max(100).optional().describe('runs that ended listed, the latest end first (default 10)'),
    }),
  },
  responses: {
    200: {
      description: '{at, counts: {running, interrupted, waiting, queued, failed_1h, failed_24h, workers, queue: {ready, claimed}}, active: [run with tasks], recent: [run with failed_task]}',
      content: { 'application/json': { schema: Json } },
    },
    ...errors(400),
  },
});

export function mountOverviewRoutes(app: OpenAPIHono, daemon: Daemon): void {
  const readers = new Map<string, OverviewReader>();
  app.openapi(route, async (c) => {
    const { active, recent } = c.req.valid('query');
    const namespace = principalOf(c).namespace;
    const key = JSON.stringify([namespace, active, recent]);
    let reader = readers.get(key);
    if (reader === undefined) {
      // The oldest reader goes first; it is only a cache.
      if (readers.size >= MAX_READERS) readers.delete(readers.keys().next().value!);
      reader = new OverviewReader(daemon.store, { namespace, ...(active === undefined ? {} : { active }), ...(recent === undefined ? {} : { recent }) });
      readers.set(key, reader);
    }
    return c.json((await reader.read()) as unknown as Record<string, unknown>, 200);
  });
}
