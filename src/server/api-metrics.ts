/**
 * GET /metrics: baton's metrics in Prometheus' text format (observability/prometheus/), for
 * Prometheus to scrape. Not part of the JSON API's OpenAPI document. Who may read it is the
 * permission table's `read` (a viewer's token, sent as a bearer token from Prometheus'
 * `authorization` setting), unless baton.config.yaml says `server.metrics: {auth: false}`
 * (server/auth.ts); a token of one namespace gets only that namespace's series.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { METRICS_PATH } from '../access/permissions.js';
import type { Principal } from '../access/principal.js';

/** What answers the route: the collector (observability/prometheus/collector.ts). */
export interface MetricsEndpoint {
  readonly contentType: string;
  /** The text; `namespace`: only its series (`*` or none: all). */
  render(namespace?: string): Promise<string>;
}

export function mountMetrics(app: OpenAPIHono, metrics: MetricsEndpoint): void {
  app.get(METRICS_PATH, async (c) => {
    // Set by the authorization in front of every route; absent when the route is public.
    const who = c.get('principal' as never) as Principal | undefined;
    const text = await metrics.render(who?.scope);
    return c.body(text, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
  });
}
