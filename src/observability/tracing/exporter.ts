/**
 * Sends spans (spans.ts) over OTLP/HTTP with OpenTelemetry's own exporter, loaded on the
 * first export, so a process that never sends a trace never reads the OpenTelemetry
 * packages. The spans already have their ids and times (from the run's log), so they are
 * handed to the exporter as finished spans rather than made through a tracer, which would
 * draw new ids and read the clock.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { VERSION } from '../../config/version.js';
import { BatonError } from '../errors.js';
import type { TraceTarget } from './config.js';
import type { SpanRecord } from './spans.js';

type Exporter = { export(spans: ReadableSpan[], done: (result: { code: number; error?: Error }) => void): void };

/** One exporter per target, for the life of the process (its connections are kept alive, and never hold the process). */
const exporters = new Map<string, Promise<{ exporter: Exporter; make: (span: SpanRecord) => ReadableSpan }>>();

/** Sends `spans` to `target`; TRACING_EXPORT when the collector refuses them or cannot be reached. */
export async function exportSpans(target: TraceTarget, spans: readonly SpanRecord[]): Promise<void> {
  if (spans.length === 0) return;
  const key = JSON.stringify(target);
  let made = exporters.get(key);
  if (made === undefined) {
    made = load(target);
    exporters.set(key, made);
  }
  const { exporter, make } = await made;
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans.map(make), resolve));
  if (result.code !== 0) {
    throw new BatonError('TRACING_EXPORT', `could not send ${spans.length} span${spans.length === 1 ? '' : 's'} to ${shownUrl(target.url)}: ${result.error?.message ?? 'refused'}`, { cause: result.error });
  }
}

async function load(target: TraceTarget): Promise<{ exporter: Exporter; make: (span: SpanRecord) => ReadableSpan }> {
  const [{ OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/resources')]);
  const exporter = new OTLPTraceExporter({ url: target.url, headers: target.headers, timeoutMillis: target.timeoutMs });
  const resource = resourceFromAttributes({ 'service.name': target.serviceName, 'service.version': VERSION });
  const scope = { name: 'baton', version: VERSION };
  return { exporter, make: (span) => readable(span, resource, scope) };
}

/** A span as the exporter reads it (ReadableSpan of @opentelemetry/sdk-trace 2). */
function readable(span: SpanRecord, resource: ReadableSpan['resource'], scope: ReadableSpan['instrumentationScope']): ReadableSpan {
  const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: 1 };
  const end = Math.max(span.end, span.start);
  return {
    name: span.name,
    // INTERNAL: a run and its attempts are work baton does, not calls it serves or makes.
    kind: 0,
    spanContext: () => context,
    ...(span.parentSpanId ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1 } } : {}),
    startTime: hrTime(span.start),
    endTime: hrTime(end),
    duration: hrTime(end - span.start),
    // ERROR = 2, UNSET = 0.
    status: span.status === 'error' ? { code: 2, ...(span.message ? { message: span.message } : {}) } : { code: 0 },
    attributes: span.attributes,
    links: [],
    events: span.events.map((e) => ({ name: e.name, time: hrTime(e.at), ...(e.attributes ? { attributes: e.attributes } : {}) })),
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** ms since epoch as OpenTelemetry's [seconds, nanoseconds]. */
function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** The URL without credentials or query, for messages. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the collector';
  }
}
