/**
 * Where a process sends traces, if anywhere (docs/observability.md#traces): the OpenTelemetry
 * environment variables as the OTLP exporter specification reads them, over baton.config.yaml's
 * `tracing:`. Off unless one of them gives an endpoint. Pure: the environment is passed in.
 *
 * - OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none, or `tracing.enabled: false`: off.
 * - The URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT
 *   or `tracing.endpoint` with /v1/traces added.
 * - Headers: `tracing.headers`, the variable `tracing.headers_env` names, then
 *   OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS (`name=value,...`, values
 *   percent-decoded); later ones win.
 * - service.name: OTEL_SERVICE_NAME, else `tracing.service_name`, else `baton`.
 * - An export gives up after OTEL_EXPORTER_OTLP_TRACES_TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT
 *   ms (default 5000): the most a collector that is down adds to the end of a `baton run`.
 * - baton sends OTLP over HTTP as JSON: a protocol variable asking for grpc is a mistake.
 */
import { isHttpUrl, type TracingSettings } from '../../config/observability.js';
import { BatonError } from '../errors.js';

/** How long an export may take, retries included, unless the environment says otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

export interface TraceTarget {
  /** Where spans are POSTed. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
  /** How long an export may take, retries included (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT, ms); default 5000. */
  timeoutMs: number;
}

/** The target, or why tracing is off though asked for (a warning to show), or nothing (off, as by default). */
export function traceTarget(settings: TracingSettings | undefined, env: NodeJS.ProcessEnv): { target?: TraceTarget; problem?: BatonError } {
  if (truthy(env.OTEL_SDK_DISABLED) || env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none' || settings?.enabled === false) return {};
  const tracesUrl = given(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = given(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const from = tracesUrl !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : base !== undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'tracing.endpoint';
  const url = tracesUrl ?? withPath(base ?? settings?.endpoint);
  if (url === undefined) return {};
  if (!isHttpUrl(url)) {
    return { problem: new BatonError('TRACING_ENDPOINT', `${from} is ${JSON.stringify(url.slice(0, 200))}, not an http:// or https:// URL: traces are not sent; give the collector's OTLP/HTTP address, such as http://localhost:4318`) };
  }
  const protocol = given(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? given(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (protocol !== undefined && protocol.toLowerCase() === 'grpc') {
    return { problem: new BatonError('TRACING_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL asks for grpc, and baton sends OTLP over HTTP (JSON): traces are not sent; point the endpoint at the collector\'s HTTP port (4318) and unset the protocol, or set it to http/json') };
  }
  const headers: Record<string, string> = { ...settings?.headers };
  const named = settings?.headers_env;
  if (named !== undefined) {
    if (env[named] === undefined) return { problem: new BatonError('TRACING_HEADERS', `tracing.headers_env names ${named}, which is not set here: traces are not sent; set it (name=value,...) or remove headers_env`) };
    Object.assign(headers, parseHeaders(env[named]));
  }
  Object.assign(headers, parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS));
  const timeout = Number(given(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT) ?? given(env.OTEL_EXPORTER_OTLP_TIMEOUT));
  return { target: { url, headers, serviceName: given(env.OTEL_SERVICE_NAME) ?? settings?.service_name ?? 'baton', timeoutMs: Number.isInteger(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS } };
}

/** `name=value,name2=value2` as the OTLP exporter specification writes headers (values percent-encoded). */
export function parseHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    let value = pair.slice(at + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded after all: taken as written.
    }
    if (name !== '') out[name] = value;
  }
  return out;
}

function withPath(base: string | undefined): string | undefined {
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function truthy(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

