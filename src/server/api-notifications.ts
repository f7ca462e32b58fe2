/**
 * GET /api/notifications (docs/server.md): the outbox of the caller's namespace
 * (store/outbox.ts), newest first, as `baton notifications --json` prints it: what runs'
 * ends and alerts sent, are sending, or gave up on. The notice holds no secret (channels'
 * settings are never stored), so whoever may read runs may read it.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errors } from './api-schemas.js';
import { principalOf } from './auth.js';
import type { Daemon } from './daemon.js';

const Notification = z
  .object({
    id: z.number(),
    key: z.string().describe('its identity: run:<run>:<end>:<channel>, or alert:<namespace>:<workflow>:<rule>:<channel>:<window>'),
    namespace: z.string(),
    channel: z.string(),
    run_id: z.string().optional(),
    state: z.enum(['pending', 'sending', 'sent', 'failed']),
    attempts: z.number(),
    repeats: z.number().describe('firings of the same alert within its window, not sent separately'),
    created_at: z.number(),
    next_at: z.number(),
    sent_at: z.number().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional().describe('why the last try failed'),
    notice: z.record(z.string(), z.unknown()).describe('what is sent: kind, title, text, delivery, run_id, workflow, status, failed_task, error, error_tail, duration_ms, run_url, alert, at'),
  })
  .openapi('Notification');

const route = createRoute({
  method: 'get',
  path: '/api/notifications',
  summary: "The notifications of the caller's namespace (runs' ends, alerts), newest first, with their state and last error",
  request: {
    query: z.object({
      run: z.string().max(100).optional(),
      channel: z.string().max(200).optional(),
      state: z.enum(['pending', 'sending', 'sent', 'failed']).optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
  },
  responses: { 200: { description: 'notifications, newest first', content: { 'application/json': { schema: z.object({ notifications: z.array(Notification) }) } } }, ...errors(400) },
});

export function mountNotificationRoutes(app: OpenAPIHono, daemon: Daemon): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const namespace = principalOf(c).namespace;
    const notifications = await daemon.store.outbox.list({
      namespace,
      limit: query.limit ?? 50,
      ...(query.run === undefined ? {} : { run_id: query.run }),
      ...(query.channel === undefined ? {} : { channel: query.channel }),
      ...(query.state === undefined ? {} : { state: query.state }),
    });
    // Claims are the senders' business: who holds one and until when is not shown.
    return c.json({ notifications: notifications.map(({ fence: _fence, sender: _sender, lease_until: _lease, ...shown }) => shown) }, 200);
  });
}
