/**
 * baton.config.yaml's settings for watching baton from outside (docs/observability.md):
 * `tracing:` (OpenTelemetry traces of runs, exported over OTLP/HTTP) and `server.metrics:`
 * (who may read `baton serve`'s /metrics). Checked with file:line:col like every setting; pure.
 */
import type { Reporter } from '../spec/diagnostics.js';
import { didYouMean } from '../spec/suggest.js';

export interface TracingSettings {
  /**
   * The OTLP/HTTP address of a collector, such as http://localhost:4318: spans are POSTed to
   * <endpoint>/v1/traces (as OTEL_EXPORTER_OTLP_ENDPOINT means). Default none: tracing is on
   * only when this or an OTEL_EXPORTER_OTLP_*ENDPOINT variable gives one.
   */
  endpoint?: string;
  /** Headers sent with every export (not secret ones: see headers_env). Default none. */
  headers?: Record<string, string>;
  /** An environment variable holding more headers as `name=value,name2=value2` (an API key). Default none. */
  headers_env?: string;
  /** The service.name of the spans; default `baton` (OTEL_SERVICE_NAME wins). */
  service_name?: string;
  /** false: no traces, whatever the environment says. Default true (on when there is an endpoint). */
  enabled?: boolean;
}

export interface MetricsSettings {
  /** /metrics needs a token that may read (when the server has tokens at all). Default true. */
  auth?: boolean;
  /** false: baton serve does not serve /metrics (nor follow the store for it). Default true. */
  enabled?: boolean;
}

type Map = Record<string, unknown>;

const TRACING_FIELDS = ['endpoint', 'headers', 'headers_env', 'service_name', 'enabled'] as const;
const METRICS_FIELDS = ['auth', 'enabled'] as const;
/** An environment variable's name, as the shell takes it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A header name: an HTTP token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `tracing:` of the config's top level, or undefined (reported) when it is wrong. */
export function parseTracing(map: Map, rep: Reporter): TracingSettings | undefined {
  const section = mapping(map, 'tracing', rep, TRACING_FIELDS, 'e.g. tracing: {endpoint: http://localhost:4318}');
  if (section === undefined) return undefined;
  const out: TracingSettings = {};
  let ok = true;
  const bad = (key: string, message: string, hint?: string) => {
    rep.error('CONFIG_TYPE', message, rep.value(section, key), hint);
    ok = false;
  };
  if (Object.hasOwn(section, 'endpoint')) {
    const value = section.endpoint;
    if (typeof value !== 'string' || !isHttpUrl(value)) bad('endpoint', '`tracing.endpoint` must be an http:// or https:// URL: the OTLP/HTTP address of a collector', 'e.g. endpoint: http://localhost:4318 (spans go to /v1/traces under it)');
    else out.endpoint = value;
  }
  if (Object.hasOwn(section, 'headers')) {
    const value = section.headers;
    if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.entries(value).some(([name, v]) => !HEADER_NAME.test(name) || typeof v !== 'string' || /[\r\n]/.test(v))) {
      bad('headers', '`tracing.headers` must be a mapping of header names to text values', 'e.g. headers: {x-scope-orgid: ops}; a secret (an API key) goes in an environment variable named by headers_env');
    } else out.headers = value as Record<string, string>;
  }
  if (Object.hasOwn(section, 'headers_env')) {
    const value = section.headers_env;
    if (typeof value !== 'string' || !ENV_NAME.test(value)) bad('headers_env', '`tracing.headers_env` must name an environment variable', 'e.g. headers_env: OTLP_HEADERS, holding x-api-key=...');
    else out.headers_env = value;
  }
  if (Object.hasOwn(section, 'service_name')) {
    const value = section.service_name;
    if (typeof value !== 'string' || value.trim() === '') bad('service_name', '`tracing.service_name` must be a non-empty name', 'e.g. service_name: baton-prod');
    else out.service_name = value;
  }
  if (Object.hasOwn(section, 'enabled')) {
    if (typeof section.enabled !== 'boolean') bad('enabled', '`tracing.enabled` must be true or false');
    else out.enabled = section.enabled;
  }
  return ok ? out : undefined;
}

/** `server.metrics:`, or undefined (reported) when it is wrong. */
export function parseMetrics(server: Map, rep: Reporter): MetricsSettings | undefined {
  const section = mapping(server, 'metrics', rep, METRICS_FIELDS, 'e.g. metrics: {auth: false}', 'server.');
  if (section === undefined) return undefined;
  const out: MetricsSettings = {};
  let ok = true;
  for (const key of METRICS_FIELDS) {
    if (!Object.hasOwn(section, key)) continue;
    const value = section[key];
    if (typeof value !== 'boolean') {
      rep.error('CONFIG_TYPE', `\`server.metrics.${key}\` must be true or false`, rep.value(section, key));
      ok = false;
    } else out[key] = value;
  }
  return ok ? out : undefined;
}

function mapping(map: Map, key: string, rep: Reporter, known: readonly string[], example: string, prefix = ''): Map | undefined {
  const value = map[key];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    rep.error('CONFIG_TYPE', `\`${prefix}${key}\` must be a mapping of settings: ${known.join(', ')}`, rep.value(map, key), example);
    return undefined;
  }
  // Unknown settings are reported, and the known ones still checked: every problem at once.
  const section = value as Map;
  for (const name of Object.keys(section)) {
    if (!known.includes(name)) rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting '${prefix}${key}.${name}'${didYouMean(name, known)}`, rep.key(section, name), `the settings of \`${prefix}${key}\` are: ${known.join(', ')}`);
  }
  return section;
}

/** An http:// or https:// URL (an OTLP endpoint, here and from OTEL_* variables). */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
