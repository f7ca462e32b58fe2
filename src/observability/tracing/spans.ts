/**
 * A run's trace, made from its event log alone (docs/decisions/0030-metrics-and-tracing.md): the run is
 * a span, each attempt of a task a span under it, with the times the log recorded. Made
 * when the run ends, by whichever process ended it, so a run that was resumed after a
 * crash, let go while it waited or driven by several workers is one trace all the same.
 *
 * A run ended again after `baton retry` (RunReopened) sends the stretch since the retry: a
 * span `<workflow> (retry N)` under the run's span, with the attempts run since, so no span
 * is sent twice. Pure: no clock, no I/O.
 */
import type { StoredEvent, TaskError } from '../../store/events.js';
import { attemptSpanId, spanIdOf, traceIdOf } from './ids.js';

export type SpanAttributes = Record<string, string | number | boolean>;

export interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  /** Absent: the run's own span, the root of its trace. */
  parentSpanId?: string;
  /** ms since epoch, as recorded. */
  start: number;
  end: number;
  attributes: SpanAttributes;
  /** `error` for a failed run or attempt (with `message`); otherwise unset. */
  status: 'unset' | 'error';
  message?: string;
  events: Array<{ name: string; at: number; attributes?: SpanAttributes }>;
}

type Created = Extract<StoredEvent, { type: 'RunCreated' }>;

interface Open {
  attempt: number;
  at: number;
  worker?: string;
  kind?: string;
}

/** The spans of the stretch of the run that ended last; none while it has not ended. */
export function runSpans(runId: string, events: readonly StoredEvent[]): SpanRecord[] {
  const created = events[0];
  if (created?.type !== 'RunCreated') return [];
  const endAt = events.findLastIndex((e) => e.type === 'RunSucceeded' || e.type === 'RunFailed' || e.type === 'RunCancelled');
  if (endAt < 0) return [];
  const reopenAt = events.findLastIndex((e, i) => i < endAt && e.type === 'RunReopened');
  const retry = events.slice(0, endAt).filter((e) => e.type === 'RunReopened').length;
  const stretch = events.slice(reopenAt < 0 ? 0 : reopenAt, endAt + 1);
  const traceId = traceIdOf(runId);
  const workflow = nameOf(created);
  const base: SpanAttributes = { 'baton.workflow': workflow, 'baton.run_id': runId, 'baton.namespace': created.namespace ?? 'default' };
  const runQueue = created.workers?.queue;
  const queues = taskQueues(created.workflow);
  const root = rootSpan(runId, traceId, workflow, base, stretch, retry, created);
  const spans: SpanRecord[] = [root];
  const open = new Map<string, Open>();
  /** The span each task's latest attempt made: a retry scheduled after it is noted on it. */
  const lastOf = new Map<string, SpanRecord>();

  const close = (task: string, attempt: number, at: number, status: string, error?: TaskError, exitCode?: number) => {
    const started = open.get(task);
    if (started === undefined || started.attempt !== attempt) return;
    open.delete(task);
    const queue = queues.get(task.split(/[[#]/)[0] || task) ?? runQueue;
    const span: SpanRecord = {
      name: task,
      traceId,
      spanId: attemptSpanId(runId, task, attempt),
      parentSpanId: root.spanId,
      start: started.at,
      end: at,
      attributes: {
        ...base,
        'baton.task': task,
        'baton.attempt': attempt,
        'baton.status': status,
        ...(exitCode !== undefined ? { 'baton.exit_code': exitCode } : {}),
        ...(error ? { 'baton.error.code': error.code } : {}),
        ...(error?.http_status !== undefined ? { 'http.response.status_code': error.http_status } : {}),
        ...(queue !== undefined ? { 'baton.queue': queue } : {}),
        ...(started.worker !== undefined ? { 'baton.worker': started.worker } : {}),
        ...(started.kind !== undefined ? { 'baton.step.kind': started.kind } : {}),
      },
      status: error || status === 'interrupted' ? 'error' : 'unset',
      ...(error ? { message: error.message } : status === 'interrupted' ? { message: 'the process running it stopped; the attempt ran again' } : {}),
      events: [],
    };
    spans.push(span);
    lastOf.set(task, span);
  };

  for (const event of stretch) {
    switch (event.type) {
      case 'TaskStarted':
        open.set(event.task, { attempt: event.attempt, at: event.at, ...(event.worker ? { worker: event.worker } : {}), ...(event.step ? { kind: event.step.kind } : {}) });
        break;
      case 'TaskSucceeded':
        close(event.task, event.attempt, event.at, 'succeeded', undefined, event.exit_code);
        break;
      case 'TaskFailed':
        close(event.task, event.attempt, event.at, 'failed', event.error, event.error.exit_code);
        break;
      case 'TaskPaused':
        close(event.task, event.attempt, event.at, 'paused', event.error, event.error.exit_code);
        break;
      case 'TaskInterrupted':
        close(event.task, event.attempt, event.at, 'interrupted');
        break;
      case 'TaskCancelled': {
        const started = open.get(event.task);
        if (started) close(event.task, started.attempt, event.at, 'cancelled');
        break;
      }
      case 'WaitAnswered': {
        // A code run's wait ends with its answer (a workflow file's with the events its driver records).
        const started = open.get(event.task);
        if (started && !event.deferred) {
          const rejected = event.answer.approved === false;
          close(event.task, started.attempt, event.at, rejected ? 'failed' : 'succeeded', rejected ? { code: 'APPROVAL_REJECTED', message: `rejected${event.answer.by ? ` by ${event.answer.by}` : ''}` } : undefined);
        }
        break;
      }
      case 'TaskRetryScheduled':
        lastOf.get(event.task)?.events.push({ name: event.fallback ? 'fallback scheduled' : 'retry scheduled', at: event.at, attributes: { 'baton.retry.at': new Date(event.at_due).toISOString(), 'baton.next_attempt': event.attempt } });
        break;
      case 'CircuitChanged':
        (lastOf.get(event.task) ?? root).events.push({ name: `circuit ${event.state}`, at: event.at, attributes: { 'baton.circuit': event.circuit } });
        break;
      default:
        break;
    }
  }
  // Attempts the run ended without an end of their own.
  for (const [task, started] of open) close(task, started.attempt, root.end, 'unfinished');
  return spans;
}

/** The run's span (or, after `baton retry`, its stretch's), with what happened to the run as span events. */
function rootSpan(runId: string, traceId: string, workflow: string, base: SpanAttributes, stretch: readonly StoredEvent[], retry: number, created: Created): SpanRecord {
  const end = stretch[stretch.length - 1];
  const failed = end.type === 'RunFailed' ? end.error : undefined;
  const span: SpanRecord = {
    name: retry === 0 ? workflow : `${workflow} (retry ${retry})`,
    traceId,
    spanId: retry === 0 ? spanIdOf(runId, 'run') : spanIdOf(runId, `run@${retry + 1}`),
    ...(retry === 0 ? {} : { parentSpanId: spanIdOf(runId, 'run') }),
    start: stretch[0].at,
    end: end.at,
    attributes: {
      ...base,
      'baton.run.status': end.type === 'RunSucceeded' ? 'succeeded' : end.type === 'RunFailed' ? 'failed' : 'cancelled',
      ...(failed ? { 'baton.error.code': failed.code } : {}),
      ...(end.type === 'RunCancelled' ? { 'baton.run.cancel_reason': end.reason } : {}),
      ...(retry > 0 ? { 'baton.run.retry': retry } : {}),
      ...(created.trigger ? { 'baton.trigger': created.trigger.type } : {}),
      ...(created.workers ? { 'baton.queue': created.workers.queue } : {}),
      ...(created.kind === 'code' ? { 'baton.run.kind': 'code' } : {}),
    },
    status: failed ? 'error' : 'unset',
    ...(failed ? { message: failed.message } : {}),
    events: [],
  };
  for (const event of stretch) {
    const note = runNote(event);
    if (note) span.events.push({ at: event.at, ...note });
  }
  return span;
}

/** What the run's span notes of an event, if anything. */
function runNote(event: StoredEvent): { name: string; attributes?: SpanAttributes } | undefined {
  switch (event.type) {
    case 'RunQueued':
      return { name: 'queued', attributes: { 'baton.queue.reason': event.reason } };
    case 'RunAdmitted':
      return { name: 'admitted' };
    case 'RunResumed':
      return { name: 'resumed', attributes: { 'baton.owner.host': event.owner.host, 'baton.owner.pid': event.owner.pid } };
    case 'RunWaiting':
      return { name: 'waiting', attributes: { 'baton.waits': event.waits.map((w) => `${w.task} (${w.kind})`).join(', ') } };
    case 'RunWoke':
      return { name: 'woke' };
    case 'RunCancelRequested':
      return { name: 'cancel requested', attributes: { 'baton.reason': event.reason } };
    case 'TaskSkipped':
      return { name: 'task skipped', attributes: { 'baton.task': event.task, 'baton.reason': event.reason } };
    case 'TaskAwaitingResources':
      return { name: 'task waits for resources', attributes: { 'baton.task': event.task, 'baton.pools': event.pools.map((p) => p.pool).join(', ') } };
    default:
      return undefined;
  }
}

function nameOf(created: Created): string {
  const name = (created.workflow as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'run';
}

/** The `queue:` of each task of the snapshot that names one, by id (loops' templates included). */
function taskQueues(workflow: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (task: unknown) => {
    if (task === null || typeof task !== 'object') return;
    const t = task as { id?: unknown; queue?: unknown; tasks?: unknown; task?: unknown; then?: unknown; else?: unknown };
    if (typeof t.id === 'string' && typeof t.queue === 'string') out.set(t.id, t.queue);
    if (Array.isArray(t.tasks)) t.tasks.forEach(visit);
    visit(t.task);
    visit(t.then);
    visit(t.else);
  };
  const tasks = (workflow as { tasks?: unknown } | null)?.tasks;
  if (Array.isArray(tasks)) tasks.forEach(visit);
  return out;
}
