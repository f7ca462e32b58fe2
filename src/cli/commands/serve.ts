/**
 * `baton serve`: the daemon (server/daemon.ts) and its HTTP API (server/api.ts) in one
 * process. It loads the workflows of a folder, takes over the store's interrupted runs,
 * starts runs asked for over HTTP and drives them. On SIGTERM or Ctrl-C it stops taking
 * requests, lets running runs end within the grace period, and leaves the rest
 * interrupted for the next start to resume.
 */
import path from 'node:path';
import { installDir } from '../../config/install-dir.js';
import { loadProject } from '../../config/project.js';
import { BatonError } from '../../observability/errors.js';
import { currentOwner } from '../../store/ownership.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { untilStopped } from '../stop-signals.js';
import type { MetricsSettings } from '../../config/observability.js';
import type { MetricsCollector } from '../../observability/prometheus/collector.js';
import type { Daemon } from '../../server/daemon.js';

interface ServeFlags extends StoreFlags {
  port?: string;
  host: string;
  workflows?: string;
  grace?: string;
  webhookRate?: string;
  authRate?: string;
  maxRunning?: string;
}

/** Webhook deliveries taken per second (and in a burst) before answering 429. */
const DEFAULT_WEBHOOK_RATE = 1000;

/** Addresses only this machine can reach: the only ones a server without tokens listens on. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export default async function serve(flags: ServeFlags): Promise<number> {
  const port = flags.port === '0' ? 0 : (parsePositiveInt(flags.port, '--port') ?? 8377);
  const graceMs = (flags.grace === undefined ? 10 : flags.grace === '0' ? 0 : parsePositiveInt(flags.grace, '--grace')!) * 1000;
  const workflowsDir = path.resolve(flags.workflows ?? loadProject().root);
  const [{ serve: listen }, { createApi }, { Daemon }] = await Promise.all([import('@hono/node-server'), import('../../server/api.js'), import('../../server/daemon.js')]);
  const store = await openCliStore(flags, { create: true });
  const loopback = LOOPBACK.has(flags.host);
  // Deny by default: without tokens the API is this machine's only (docs/access.md).
  const tokens = await store.access.hasTokens();
  if (!loopback && !tokens) {
    await store.close();
    throw new BatonError(
      'SERVER_NOT_LOOPBACK',
      `--host ${flags.host} would let anyone who can reach it use the API, and this store has no tokens: make one first (baton token create --role admin), then every request must carry one; or listen on 127.0.0.1 (the default), ::1 or localhost`,
    );
  }
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const server = loadProject().config.server;
  // The global limit: the flag, else the project's (which `baton run` honours too).
  const maxRunning = parsePositiveInt(flags.maxRunning, '--max-running') ?? server?.max_running;
  const namespaces = server?.namespaces ?? {};
  const keyRetention = loadProject().config.idempotency?.retention;
  const daemon = new Daemon({
    store,
    workflowsDir,
    namespaces,
    owner: currentOwner(),
    log,
    loopbackOnly: loopback,
    ...(server?.separate_approvers ? { separateApprovers: true } : {}),
    ...(maxRunning === undefined ? {} : { maxRunning }),
    ...(keyRetention === undefined ? {} : { keyRetentionMs: keyRetention }),
  });
  await daemon.loadWorkflows();
  // Counted from now, before the runs taken over go on (observability/prometheus/collector.ts).
  const metrics = await startMetrics(daemon, server?.metrics, log);
  await daemon.takeOver();
  // Queued runs (kept across restarts) start in their turn.
  daemon.queue.watch();
  await daemon.startTriggers();
  daemon.watchTimers();
  daemon.sendNotices();
  daemon.watchWorkflows();
  const app = createApi(daemon, { webhookRate: parsePositiveInt(flags.webhookRate, '--webhook-rate') ?? DEFAULT_WEBHOOK_RATE, authFailuresPerMinute: parsePositiveInt(flags.authRate, '--auth-rate') ?? 20,
    // The names a request may carry as Host: --host itself (unless it is every address), and the configured ones.
    allowedHosts: [...(['0.0.0.0', '::'].includes(flags.host) ? [] : [flags.host]), ...(server?.allowed_hosts ?? [])],
    ...(metrics ? { metrics, publicMetrics: server?.metrics?.auth === false } : {}),
    // The web UI of this installation's build (docs/ui.md); a copy without one answers 503 UI_NOT_BUILT there.
    uiDir: path.join(installDir() ?? process.cwd(), 'dist', 'ui'),
  });
  const http = listen({ fetch: app.fetch, port, hostname: flags.host }, (info) => {
    const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
    log(`listening on http://${host}:${info.port} (store ${store.location})`);
    log(
      tokens
        ? 'every request needs a token (Authorization: Bearer); baton token create makes one'
        : 'no tokens in this store: listening on loopback only, and any process on this machine may use the API; baton token create to require tokens',
    );
    if (metrics) log(`metrics for Prometheus at http://${host}:${info.port}/metrics (${server?.metrics?.auth === false ? 'no token needed: server.metrics.auth is false' : tokens ? 'a token that may read needed' : 'no tokens in this store'})`);
    if (Object.keys(namespaces).length > 0) log(`namespaces: default (${workflowsDir}), ${Object.entries(namespaces).map(([name, entry]) => `${name} (${entry.workflows})`).join(', ')}`);
  });
  const cannotListen = new Promise<never>((_, reject) =>
    http.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? `port ${port} is in use: pick another with --port` : err.message;
      void store.close().finally(() => reject(new BatonError('SERVER_LISTEN', `cannot listen on ${flags.host}:${port}: ${why}`)));
    }),
  );
  const stopped = untilStopped({
    stopping: (signal) => log(`${signal}: taking no more requests; runs have ${graceMs / 1000}s to end`),
    // A second signal forces, as for `baton run`: no task process outlives the server.
    forced: (signal) => log(`${signal} again: forced stop; runs are left interrupted for the next start`),
    stop: async () => {
      http.close();
      metrics?.stop();
      await daemon.stop(graceMs);
      // Event streams stay open until their run ends: the runs are stopped, so are they.
      (http as { closeAllConnections?: () => void }).closeAllConnections?.();
      await store.close();
      return EXIT.ok;
    },
  });
  return Promise.race([cannotListen, stopped]);
}

/**
 * The /metrics collector (observability/prometheus/), unless server.metrics.enabled is
 * false: loaded here, so that prom-client is read only by a server that serves metrics.
 * Every namespace's trigger firings are counted as they are decided.
 */
async function startMetrics(daemon: Daemon, settings: MetricsSettings | undefined, log: (line: string) => void): Promise<MetricsCollector | undefined> {
  if (settings?.enabled === false) return undefined;
  const { MetricsCollector } = await import('../../observability/prometheus/collector.js');
  const metrics = await MetricsCollector.start({ store: daemon.store, namespaces: () => [...daemon.catalogs.keys()], log });
  for (const catalog of daemon.catalogs.values()) catalog.hub.onFired = (what, outcome) => metrics.fired(catalog.namespace, what.workflow, what.trigger.type, outcome);
  return metrics;
}
