/**
 * Webhooks: POST /hooks/<path> fires the webhook trigger serving <path> (a trigger's
 * `config.webhook`) in the default namespace, POST /ns/<namespace>/hooks/<path> in another
 * (docs/access.md): a namespace's webhooks are its own, proven by their signatures. The delivery is checked (triggers/webhook.ts) and every outcome is
 * recorded as a firing, refusals included; answers are 202 with the run started, 200 when
 * the trigger's filter said no, and the error document otherwise (401 unsigned or forged,
 * 409 a replay, 429 past the rate). Past the rate, deliveries are not recorded one by one
 * (that would be the flood's work done for it): they are counted in the log.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { recordAudit } from '../access/audit.js';
import { httpStatusOf } from '../observability/error-categories.js';
import { errorDocument } from '../observability/error-document.js';
import { BatonError } from '../observability/errors.js';
import { MAX_HOOK_BODY_BYTES, verifyDelivery } from '../triggers/webhook.js';
import type { Daemon } from './daemon.js';

export interface HookOptions {
  /** Deliveries taken per second, and in a burst. */
  rate: number;
}

export function mountHooks(app: OpenAPIHono, daemon: Daemon, options: HookOptions): void {
  const bucket = new TokenBucket(options.rate);
  let refused = 0;
  const report = setInterval(() => {
    if (refused === 0) return;
    daemon.log(`refused ${refused} webhook deliver${refused === 1 ? 'y' : 'ies'} past the rate of ${options.rate}/s (429)`);
    refused = 0;
  }, 1000);
  report.unref();

  const limit = bodyLimit({ maxSize: MAX_HOOK_BODY_BYTES, onError: (c) => c.json(errorDocument(new BatonError('API_BODY_TOO_LARGE', `the delivery's body is over ${MAX_HOOK_BODY_BYTES} bytes`)), 413) });
  app.use('/hooks/*', limit);
  app.use('/ns/:namespace/hooks/*', limit);
  app.post('/hooks/*', (c) => deliver(c, 'default', c.req.path.slice('/hooks'.length)));
  app.post('/ns/:namespace/hooks/*', (c) => {
    const namespace = c.req.param('namespace');
    const catalog = daemon.catalogs.get(namespace);
    const hookPath = c.req.path.slice(`/ns/${namespace}/hooks`.length);
    if (catalog === undefined) return answer(c, new BatonError('WEBHOOK_NOT_FOUND', `no webhook trigger serves ${hookPath} in namespace ${namespace.slice(0, 80)}`, { details: { path: hookPath } }));
    return deliver(c, namespace, hookPath);
  });

  async function deliver(c: Context, namespace: string, hookPath: string): Promise<Response> {
    const catalog = daemon.catalog(namespace);
    const found = [...catalog.hub.triggers('webhook')].find((t) => t.trigger.config.webhook === hookPath);
    if (found === undefined) return answer(c, new BatonError('WEBHOOK_NOT_FOUND', `no webhook trigger serves ${hookPath}: see GET /api/triggers for the webhooks served`, { details: { path: hookPath } }));
    if (!bucket.take()) {
      refused++;
      c.header('Retry-After', '1');
      return answer(c, new BatonError('WEBHOOK_RATE', `more than ${options.rate} webhook deliveries in a second: send it again in a moment (this server takes ${options.rate}/s, set with baton serve --webhook-rate)`));
    }
    const { workflow, trigger } = found;
    const record = (err: BatonError) =>
      recordAudit(daemon.store, { actor: `webhook:${hookPath}`, roles: [], namespace, origin: 'trigger', scope: namespace }, { action: 'webhook', target: workflow.name, outcome: 'refused', error: err }).then(() =>
      daemon.store.triggers.recordFiring({ namespace, workflow: workflow.name, trigger: 'webhook', source: hookPath, at: Date.now(), outcome: 'refused', reason: err.message, code: err.code })).then(() => answer(c, err));
    const secretName = trigger.config.secret_env;
    const secret = secretName === undefined ? undefined : process.env[secretName];
    if (secretName !== undefined && !secret) {
      return record(new BatonError('WEBHOOK_SECRET_UNSET', `the webhook ${hookPath} of ${workflow.name} is signed with the secret in $${secretName}, which this server's environment does not set: set it and restart baton serve`));
    }
    if (secretName === undefined && !daemon.loopbackOnly) {
      return record(new BatonError('WEBHOOK_SIGNATURE', `the webhook ${hookPath} of ${workflow.name} has no secret_env, and this server listens beyond loopback: give the trigger a secret`));
    }
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => (headers[name] = value));
    let verified;
    try {
      verified = verifyDelivery({ headers, body: Buffer.from(await c.req.arrayBuffer()) }, secret, trigger.config.tolerance === undefined ? {} : { toleranceMs: trigger.config.tolerance });
    } catch (err) {
      if (!(err instanceof BatonError)) throw err;
      return record(err);
    }
    const fired = await catalog.hub.fire({
      workflow: workflow.name,
      trigger,
      source: hookPath,
      ...(verified.delivery !== undefined ? { delivery: verified.delivery } : {}),
      data: { type: 'webhook', at: new Date().toISOString(), webhook: hookPath, payload: verified.payload, headers: verified.headers, ...(headers['x-github-delivery'] ?? headers['x-baton-delivery'] ? { delivery: headers['x-github-delivery'] ?? headers['x-baton-delivery'] } : {}) },
    });
    if (fired.started) {
      c.header('Location', `/api/runs/${fired.runId}`);
      return c.json({ run_id: fired.runId, firing: fired.firing.id, status: 'pending' }, 202);
    }
    if (fired.error) return answer(c, fired.error);
    // Filtered out, or a duplicate of the run its idempotency key belongs to (`run_id`).
    return c.json({ firing: fired.firing.id, outcome: fired.firing.outcome, reason: fired.firing.reason, ...(fired.firing.run_id !== undefined ? { run_id: fired.firing.run_id } : {}) }, 200);
  }
}

/** Where a namespace's webhook is served. */
export function hookUrl(namespace: string, hookPath: string): string {
  return namespace === 'default' ? `/hooks${hookPath}` : `/ns/${namespace}/hooks${hookPath}`;
}

function answer(c: Context, err: BatonError): Response {
  return c.json(errorDocument(err), httpStatusOf(err) as 400);
}

/** `rate` tokens a second, at most `rate` held: a burst of one second's worth, then the rate. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
