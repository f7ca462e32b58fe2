/**
 * A run's trace and span ids, made from the run's id rather than drawn at random: a run
 * resumed in another process, or on another machine, keeps its trace, and the id of an
 * attempt's span is known before the attempt starts, so its task can be handed a W3C
 * `traceparent` (TRACEPARENT in its environment, a `traceparent` header of an http task)
 * and join the trace (docs/decisions/0030-metrics-and-tracing.md).
 */
import { createHash } from 'node:crypto';

/** 32 hex digits: the trace of run `runId`. */
export function traceIdOf(runId: string): string {
  return nonZero(hex(`baton-trace:${runId}`, 32));
}

/**
 * 16 hex digits: a span of run `runId`. `part` names it within the run: `run` (the run's
 * own span), `run@2` (its second stretch, after a `baton retry`), `<task>#<attempt>`.
 */
export function spanIdOf(runId: string, part: string): string {
  return nonZero(hex(`baton-span:${runId}:${part}`, 16));
}

/** The span of attempt `attempt` of task `task`. */
export function attemptSpanId(runId: string, task: string, attempt: number): string {
  return spanIdOf(runId, `${task}#${attempt}`);
}

/** The W3C trace context of an attempt (version 00, sampled): what its programs join the trace with. */
export function traceparentOf(runId: string, task: string, attempt: number): string {
  return `00-${traceIdOf(runId)}-${attemptSpanId(runId, task, attempt)}-01`;
}

function hex(text: string, digits: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, digits);
}

/** An all-zero id is invalid in W3C trace context (one in 2^64 or 2^128: made valid, not refused). */
function nonZero(id: string): string {
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}
