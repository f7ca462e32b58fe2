/**
 * The settings of `baton.config.yaml` past `store:`: where skills come from, what ad-hoc
 * scripts may be and how long they may run (seed 003), the size limits of what a run
 * reports, the sandbox, and what an agent may do over MCP. Each setting is checked with
 * file:line:col and a hint, like a workflow file's fields; pure.
 */
import { isNamespaceName } from '../access/names.js';
import type { Reporter } from '../spec/diagnostics.js';
import { parseDuration } from '../spec/duration.js';
import { didYouMean } from '../spec/suggest.js';
import { parseResources, type PoolCapacities } from './resources.js';
import { parseNotifications, type NotificationSettings } from './channels.js';
import { alertsOf } from '../spec/normalize-alerts.js';
import { circuitsOf } from '../spec/normalize-circuits.js';
import { parseMetrics, parseTracing, type MetricsSettings, type TracingSettings } from './observability.js';
import type { Alert, CircuitPolicy } from '../spec/model.js';

export type SandboxMode = 'off' | 'workspace-write';
export const SANDBOX_MODES: readonly SandboxMode[] = ['off', 'workspace-write'];

export interface SandboxSettings {
  /** `workspace-write`: the project folder writable, the rest read-only, no network unless `network`. */
  mode: SandboxMode;
  /** Let sandboxed processes use the network (default false). */
  network: boolean;
  /** More folders a sandboxed process may write (absolute after loading), beside the project. */
  writable: string[];
}

export interface ScriptSettings {
  /** Time limit of a run from standard input (`baton run -`) when it sets none, ms; default 300 s. */
  timeout?: number;
  /** Kinds of file `baton run -` accepts, as extensions (`.sh`, `.py`, `.ts`, `.yaml`...); default all. */
  allowed_extensions?: string[];
}

export interface LimitSettings {
  /** Bytes of a run's summary (and result) shown; default 4096 (BATON_SUMMARY_LIMIT overrides). */
  summary_bytes?: number;
  /** Bytes of JSON a code step may return; default 1 MiB (a workflow's step_result_limit overrides). */
  step_result_bytes?: number;
}

export interface ServerSettings {
  /**
   * Most runs running at once over the store (admitted runs pending or running; one waiting
   * for an approval or an event does not count); more wait in the queue. `baton serve` and
   * `baton run` both honour it (runs/admission.ts). Default: no limit.
   */
  max_running?: number;
  /**
   * Namespaces besides `default` (docs/access.md), each with its folder of workflows
   * (relative to this file; absolute after loading). `baton serve` serves each.
   */
  namespaces?: Record<string, { workflows: string; skills?: string[] }>;
  /** Whoever started a run may not answer its approvals through the server (segregation of duties). Default false. */
  separate_approvers?: boolean;
  /** Host names the server is reached by (besides loopback's and --host): MCP over HTTP refuses requests for others (DNS rebinding). */
  allowed_hosts?: string[];
  /** Who may read /metrics, and whether it is served (config/observability.ts). Default: served, a token that reads needed. */
  metrics?: MetricsSettings;
  /** The address people reach `baton serve` at (https://baton.example.com): notifications link runs as <public_url>/runs/<id>. */
  public_url?: string;
}

export interface IdempotencySettings {
  /**
   * How long a run holds the idempotency key it was started with, from its creation (ms):
   * within it, a start with the key gets that run; after it, a new run. Default 24 h.
   */
  retention?: number;
}

export interface McpSettings {
  /** Let agents answer approvals over MCP (default false: a person answers them). */
  approvals?: boolean;
}

export interface Settings {
  /** Folders of skill folders, after the project's `skills/` and `.agents/skills/` (absolute after loading). */
  skills?: string[];
  scripts?: ScriptSettings;
  limits?: LimitSettings;
  sandbox?: SandboxSettings;
  mcp?: McpSettings;
  server?: ServerSettings;
  /** Resource pools tasks hold while they run: pool -> capacity (config/resources.ts). */
  resources?: PoolCapacities;
  /** Circuit breakers the tasks of any workflow may name (spec/normalize-circuits.ts): name -> policy. */
  circuits?: Record<string, CircuitPolicy>;
  /** Idempotency keys of run starts (docs/decisions/0021-idempotency-keys.md). */
  idempotency?: IdempotencySettings;
  /** OpenTelemetry traces of runs, exported over OTLP/HTTP (config/observability.ts). Default off. */
  tracing?: TracingSettings;
  /** Named notification channels (webhook, Slack, email, command) notices are sent to (config/channels.ts). */
  notifications?: NotificationSettings;
  /** Alerts evaluated at the end of every workflow's runs (observability/notifications/rules.ts). */
  alerts?: Alert[];
}

/** Every setting, with what it is for (the hint of an unknown setting lists them). */
export const SETTING_HELP = {
  store: 'where runs are kept: a SQLite file path (relative to this file), a postgres:// URL, or `memory`',
  skills: 'more folders of skills (relative to this file), searched after skills/ and .agents/skills/',
  scripts: '`baton run -` limits: timeout (default 300s), allowed_extensions (default all)',
  limits: 'summary_bytes (default 4096), step_result_bytes (default 1048576)',
  sandbox: '`off` or `workspace-write`, or {mode, network, writable}',
  mcp: 'what agents may do over `baton mcp`: approvals (default false)',
  server: 'baton serve and runs started on this store: max_running (most running at once; default no limit), namespaces ({name: {workflows: folder}}), separate_approvers (default false), allowed_hosts (names MCP over HTTP answers to), metrics ({auth, enabled} of /metrics; default both true), public_url (where people reach it: notifications link runs there)',
  resources: 'named pools tasks hold while they run, with capacities: {db-migrations: 1, gpu: 2}',
  circuits: 'circuit breakers tasks name with `circuit:`: {payments-api: {failures: 3, window: 1m, open_for: 30s, probes: 1}}',
  idempotency: 'idempotency keys of run starts: retention (how long a run holds its key; default 24h)',
  tracing: 'OpenTelemetry traces of runs over OTLP/HTTP: {endpoint: http://localhost:4318, headers, headers_env, service_name, enabled}; default off',
  notifications: 'named channels notices are sent to (a webhook, slack, email or a command), and what every run tells them: channels: {ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}, team: {type: slack}}, defaults: {channels: [team], on_failure: true}',
  alerts: "alerts over every workflow's runs: [{name, condition: \"metrics.success_rate < 90\", channels: [team], template, window: 1h}]",
} as const;

type Map = Record<string, unknown>;

/**
 * The `limits:` of baton.config.yaml as the environment variables the engine reads
 * (BATON_SUMMARY_LIMIT, BATON_STEP_RESULT_LIMIT), set only where the environment does not
 * already: a variable set by hand wins over the file, and the processes a run starts see
 * the same limits.
 */
export function applyLimits(limits: LimitSettings | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (limits?.summary_bytes !== undefined && !env.BATON_SUMMARY_LIMIT) env.BATON_SUMMARY_LIMIT = String(limits.summary_bytes);
  if (limits?.step_result_bytes !== undefined && !env.BATON_STEP_RESULT_LIMIT) env.BATON_STEP_RESULT_LIMIT = String(limits.step_result_bytes);
}

/** Reads the settings of `map` (the config file's top level) into `into`, reporting problems. */
export function parseSettings(map: Map, rep: Reporter, into: Settings): void {
  if (Object.hasOwn(map, 'skills')) {
    const folders = stringList(map, 'skills', rep, 'a list of folders, e.g. [../team-skills]');
    if (folders) into.skills = folders;
  }
  const scripts = section(map, 'scripts', rep, ['timeout', 'allowed_extensions']);
  if (scripts) {
    const out: ScriptSettings = {};
    if (Object.hasOwn(scripts, 'timeout')) {
      const ms = duration(scripts, 'timeout', rep);
      if (ms !== undefined) out.timeout = ms;
    }
    if (Object.hasOwn(scripts, 'allowed_extensions')) {
      const list = stringList(scripts, 'allowed_extensions', rep, 'a list of extensions, e.g. [.sh, .py, .ts, .yaml]');
      if (list) {
        const bad = list.findIndex((e) => !/^\.[A-Za-z0-9]+$/.test(e));
        if (bad >= 0) rep.error('CONFIG_TYPE', `\`scripts.allowed_extensions\`: '${list[bad]}' is not an extension`, rep.value(scripts.allowed_extensions as unknown[], bad), 'write it with its dot: .sh, .py, .ts, .yaml');
        else out.allowed_extensions = list.map((e) => e.toLowerCase());
      }
    }
    into.scripts = out;
  }
  const limits = section(map, 'limits', rep, ['summary_bytes', 'step_result_bytes']);
  if (limits) {
    const out: LimitSettings = {};
    for (const key of ['summary_bytes', 'step_result_bytes'] as const) {
      if (!Object.hasOwn(limits, key)) continue;
      const value = limits[key];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 64) {
        rep.error('CONFIG_TYPE', `\`limits.${key}\` must be a whole number of bytes, at least 64`, rep.value(limits, key), `e.g. ${key}: ${key === 'summary_bytes' ? 4096 : 1048576}`);
      } else out[key] = value;
    }
    into.limits = out;
  }
  if (Object.hasOwn(map, 'sandbox')) {
    const sandbox = parseSandbox(map, rep);
    if (sandbox) into.sandbox = sandbox;
  }
  if (Object.hasOwn(map, 'resources')) {
    const pools = parseResources(map, rep);
    if (pools) into.resources = pools;
  }
  if (Object.hasOwn(map, 'circuits')) into.circuits = circuitsOf(map, rep, { code: 'CONFIG_TYPE', checkKinds: true });
  const server = section(map, 'server', rep, ['max_running', 'namespaces', 'separate_approvers', 'allowed_hosts', 'metrics', 'public_url']);
  if (server) {
    const out: ServerSettings = {};
    if (Object.hasOwn(server, 'max_running')) {
      const value = server.max_running;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) rep.error('CONFIG_TYPE', '`server.max_running` must be a whole number, at least 1', rep.value(server, 'max_running'), 'e.g. max_running: 4');
      else out.max_running = value;
    }
    if (Object.hasOwn(server, 'separate_approvers')) {
      if (typeof server.separate_approvers !== 'boolean') rep.error('CONFIG_TYPE', '`server.separate_approvers` must be true or false', rep.value(server, 'separate_approvers'));
      else out.separate_approvers = server.separate_approvers;
    }
    if (Object.hasOwn(server, 'allowed_hosts')) {
      const hosts = server.allowed_hosts;
      if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string' || !/^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/.test(h))) {
        rep.error('CONFIG_TYPE', '`server.allowed_hosts` must be a list of host names (no scheme, no port)', rep.value(server, 'allowed_hosts'), 'e.g. allowed_hosts: [baton.example.com]');
      } else out.allowed_hosts = hosts as string[];
    }
    if (Object.hasOwn(server, 'public_url')) {
      const url = server.public_url;
      if (typeof url !== 'string' || !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/i.test(url)) rep.error('CONFIG_TYPE', '`server.public_url` must be an http:// or https:// URL', rep.value(server, 'public_url'), 'e.g. public_url: https://baton.example.com');
      else out.public_url = url;
    }
    if (Object.hasOwn(server, 'namespaces')) {
      const namespaces = parseNamespaces(server, rep);
      if (namespaces) out.namespaces = namespaces;
    }
    if (Object.hasOwn(server, 'metrics')) {
      const metrics = parseMetrics(server, rep);
      if (metrics) out.metrics = metrics;
    }
    into.server = out;
  }
  if (Object.hasOwn(map, 'notifications')) {
    const notifications = parseNotifications(map, rep);
    if (notifications) into.notifications = notifications;
  }
  if (Object.hasOwn(map, 'alerts')) {
    if (!Array.isArray(map.alerts)) rep.error('CONFIG_TYPE', '`alerts` must be a list of alerts {name, condition, channels, template, window}', rep.value(map, 'alerts'), "e.g. alerts: [{name: failing, condition: \"metrics.success_rate < 90\", channels: [ops]}]");
    else into.alerts = alertsOf(map, rep, [...Object.keys(into.notifications?.channels ?? {})]);
  }
  if (Object.hasOwn(map, 'tracing')) {
    const tracing = parseTracing(map, rep);
    if (tracing) into.tracing = tracing;
  }
  const idempotency = section(map, 'idempotency', rep, ['retention']);
  if (idempotency) {
    const out: IdempotencySettings = {};
    if (Object.hasOwn(idempotency, 'retention')) {
      const ms = duration(idempotency, 'retention', rep, 'idempotency');
      if (ms !== undefined) out.retention = ms;
    }
    into.idempotency = out;
  }
  const mcp = section(map, 'mcp', rep, ['approvals']);
  if (mcp) {
    const out: McpSettings = {};
    if (Object.hasOwn(mcp, 'approvals')) {
      if (typeof mcp.approvals !== 'boolean') rep.error('CONFIG_TYPE', '`mcp.approvals` must be true or false', rep.value(mcp, 'approvals'));
      else out.approvals = mcp.approvals;
    }
    into.mcp = out;
  }
}

function parseSandbox(map: Map, rep: Reporter): SandboxSettings | undefined {
  const raw = map.sandbox;
  if (typeof raw === 'string') {
    if (!isMode(raw)) {
      rep.error('CONFIG_TYPE', `\`sandbox\` is '${raw}'${didYouMean(raw, SANDBOX_MODES)}`, rep.value(map, 'sandbox'), `one of: ${SANDBOX_MODES.join(', ')}`);
      return undefined;
    }
    return { mode: raw, network: false, writable: [] };
  }
  const section_ = section(map, 'sandbox', rep, ['mode', 'network', 'writable']);
  if (!section_) return undefined;
  const mode = section_.mode ?? 'workspace-write';
  if (typeof mode !== 'string' || !isMode(mode)) {
    rep.error('CONFIG_TYPE', `\`sandbox.mode\` must be one of: ${SANDBOX_MODES.join(', ')}`, rep.value(section_, 'mode'));
    return undefined;
  }
  const network = section_.network ?? false;
  if (typeof network !== 'boolean') {
    rep.error('CONFIG_TYPE', '`sandbox.network` must be true or false', rep.value(section_, 'network'));
    return undefined;
  }
  const writable = Object.hasOwn(section_, 'writable') ? stringList(section_, 'writable', rep, 'a list of folders, e.g. [/tmp]') : [];
  if (writable === undefined) return undefined;
  return { mode, network, writable };
}

function isMode(value: string): value is SandboxMode {
  return (SANDBOX_MODES as readonly string[]).includes(value);
}

/** A nested mapping of settings with only `known` keys, or undefined (reported) when absent or wrong. */
function section(map: Map, key: string, rep: Reporter, known: readonly string[]): Map | undefined {
  if (!Object.hasOwn(map, key)) return undefined;
  const value = map[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    rep.error('CONFIG_TYPE', `\`${key}\` must be a mapping of settings: ${known.join(', ')}`, rep.value(map, key));
    return undefined;
  }
  const section_ = value as Map;
  for (const name of Object.keys(section_)) {
    if (!known.includes(name)) rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting '${key}.${name}'${didYouMean(name, known)}`, rep.key(section_, name), `the settings of \`${key}\` are: ${known.join(', ')}`);
  }
  return section_;
}

function stringList(map: Map, key: string, rep: Reporter, example: string): string[] | undefined {
  const value = map[key];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    rep.error('CONFIG_TYPE', `\`${key}\` must be ${example}`, rep.value(map, key));
    return undefined;
  }
  return value as string[];
}

function duration(map: Map, key: string, rep: Reporter, within = 'scripts'): number | undefined {
  try {
    const ms = parseDuration(map[key], 's');
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  rep.error('CONFIG_TYPE', `\`${within}.${key}\` must be a duration such as 300s, 5m or 1h (a bare number is seconds)`, rep.value(map, key));
  return undefined;
}

/** `server.namespaces`: {name: {workflows: folder}}, each name a namespace name (access/names.ts). */
function parseNamespaces(server: Map, rep: Reporter): Record<string, { workflows: string; skills?: string[] }> | undefined {
  const value = server.namespaces;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    rep.error('CONFIG_TYPE', '`server.namespaces` must be a map of namespace names to {workflows: folder}', rep.value(server, 'namespaces'), 'e.g. namespaces: {acme: {workflows: tenants/acme}}');
    return undefined;
  }
  const out: Record<string, { workflows: string; skills?: string[] }> = {};
  for (const [name, entry] of Object.entries(value as Map)) {
    if (!isNamespaceName(name) || name === 'default') {
      rep.error('CONFIG_TYPE', `\`server.namespaces\`: ${JSON.stringify(name)} is not a namespace name (lower-case letters, digits and dashes; \`default\` is the served folder itself)`, rep.value(value as Map, name));
      continue;
    }
    const workflows = (entry as Map | null)?.workflows;
    if (typeof workflows !== 'string' || workflows.trim() === '') {
      rep.error('CONFIG_TYPE', `\`server.namespaces.${name}\` needs workflows: the folder of its workflow files`, rep.value(value as Map, name), `e.g. ${name}: {workflows: tenants/${name}}`);
      continue;
    }
    const skills = (entry as Map).skills;
    if (skills !== undefined && (!Array.isArray(skills) || skills.some((d) => typeof d !== 'string' || d.trim() === ''))) {
      rep.error('CONFIG_TYPE', `\`server.namespaces.${name}.skills\` must be a list of folders of skills`, rep.value(value as Map, name), `e.g. skills: [tenants/${name}/skills]`);
      continue;
    }
    out[name] = { workflows, ...(skills ? { skills: skills as string[] } : {}) };
  }
  return out;
}
