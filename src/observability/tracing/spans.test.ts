/**
 * A run's spans, made from the log the real engine records (a retry, a failure, a skip) and
 * from logs written by hand where the engine's timing would be in the way (a resume, a
 * `baton retry`).
 */
import { describe, expect, it } from 'vitest';
import { noop, runTest, workflow } from '../../engine/test-dsl.js';
import type { StoredEvent, TimedEvent } from '../../store/events.js';
import { attemptSpanId, spanIdOf, traceIdOf, traceparentOf } from './ids.js';
import { runSpans } from './spans.js';
import { parseHeaders, traceTarget } from './config.js';

const RETRY = { attempts: 2, delay: 1, backoff: 'fixed' as const, factor: 1, jitter: 0 };

function numbered(events: TimedEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1 }) as StoredEvent);
}

describe('the spans of a run', () => {
  it('are the run and each attempt under it, with the recorded times, statuses and attributes; retries are spans of their own', async () => {
    const run = await runTest(workflow([noop('build', { retry: RETRY }), noop('deploy', { depends_on: ['build'] }), noop('notify', { depends_on: ['deploy'] })], { name: 'release' }), { build: ['fail', 'ok'], deploy: ['fail-permanent'] });
    const runId = run.state.runId;
    const spans = runSpans(runId, run.events);
    expect(spans.map((s) => s.name)).toEqual(['release', 'build', 'build', 'deploy']);
    const [root, first, second, deploy] = spans;
    const trace = traceIdOf(runId);
    expect(spans.every((s) => s.traceId === trace)).toBe(true);
    expect(root).toMatchObject({ spanId: spanIdOf(runId, 'run'), status: 'error', message: expect.stringContaining('deploy') });
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'baton.workflow': 'release', 'baton.run_id': runId, 'baton.namespace': 'default', 'baton.run.status': 'failed', 'baton.error.code': 'RUN_TASKS_FAILED' });
    expect([first, second, deploy].map((s) => s.parentSpanId)).toEqual([root.spanId, root.spanId, root.spanId]);
    expect([first.spanId, second.spanId]).toEqual([attemptSpanId(runId, 'build', 1), attemptSpanId(runId, 'build', 2)]);
    expect(first).toMatchObject({ status: 'error', message: 'build failed on cue', attributes: { 'baton.task': 'build', 'baton.attempt': 1, 'baton.status': 'failed', 'baton.exit_code': 1, 'baton.error.code': 'EXEC_EXIT_CODE' } });
    expect(first.events.map((e) => e.name)).toEqual(['retry scheduled']);
    expect(second).toMatchObject({ status: 'unset', attributes: { 'baton.attempt': 2, 'baton.status': 'succeeded' } });
    expect(deploy.attributes['baton.status']).toBe('failed');
    // notify never ran: a note on the run's span, not a span.
    expect(root.events.map((e) => [e.name, e.attributes?.['baton.task']])).toContainEqual(['task skipped', 'notify']);
    // Times as recorded, in order, within the run's.
    const logged = (type: string, task: string) => run.events.filter((e) => e.type === type && 'task' in e && e.task === task).map((e) => e.at);
    expect([first.start, second.start]).toEqual(logged('TaskStarted', 'build'));
    for (const span of spans) expect(span.end).toBeGreaterThanOrEqual(span.start);
    for (const span of spans.slice(1)) expect(span.start).toBeGreaterThanOrEqual(root.start);
    expect(first.end).toBeLessThanOrEqual(second.start);
  });

  it('are none while the run has not ended', () => {
    const events = numbered([{ type: 'RunCreated', workflow: { name: 'w', tasks: [] }, inputs: {}, env: {}, at: 1 }, { type: 'RunStarted', at: 2 }, { type: 'TaskStarted', task: 'a', attempt: 1, at: 3 }]);
    expect(runSpans('R1', events)).toEqual([]);
  });

  it('keep one trace across a resume (the interrupted attempt a span of its own), and send only what followed a baton retry', () => {
    const created: TimedEvent = { type: 'RunCreated', workflow: { name: 'w', tasks: [{ id: 'a', queue: 'gpu' }] }, inputs: {}, env: {}, workers: { queue: 'default' }, at: 1000 };
    const log: TimedEvent[] = [
      created,
      { type: 'RunStarted', at: 1001 },
      { type: 'TaskStarted', task: 'a', attempt: 1, worker: 'w1', at: 1002 },
      { type: 'RunResumed', owner: { host: 'h2', pid: 7 }, at: 5000 },
      { type: 'TaskInterrupted', task: 'a', attempt: 1, at: 5001 },
      { type: 'TaskStarted', task: 'a', attempt: 2, worker: 'w2', at: 5002 },
      { type: 'TaskFailed', task: 'a', attempt: 2, error: { code: 'EXEC_EXIT_CODE', message: 'exit 1', exit_code: 1 }, retryable: false, at: 6000 },
      { type: 'RunFailed', error: { code: 'RUN_TASKS_FAILED', message: '1 task failed: a' }, at: 6001 },
    ];
    const first = runSpans('R1', numbered(log));
    expect(first.map((s) => `${s.name}:${s.attributes['baton.status'] ?? s.attributes['baton.run.status']}:${s.attributes['baton.worker'] ?? ''}`)).toEqual(['w:failed:', 'a:interrupted:w1', 'a:failed:w2']);
    expect(first[1]).toMatchObject({ start: 1002, end: 5001, status: 'error', attributes: { 'baton.queue': 'gpu' } });
    expect(first[0].events.map((e) => e.name)).toEqual(['resumed']);
    expect(first[0].attributes['baton.queue']).toBe('default');
    const retried = runSpans('R1', numbered([
      ...log,
      { type: 'RunReopened', tasks: ['a'], at: 9000 },
      { type: 'TaskStarted', task: 'a', attempt: 3, at: 9001 },
      { type: 'TaskSucceeded', task: 'a', attempt: 3, outputs: {}, exit_code: 0, at: 9500 },
      { type: 'RunSucceeded', at: 9501 },
    ]));
    expect(retried.map((s) => s.name)).toEqual(['w (retry 1)', 'a']);
    expect(retried[0]).toMatchObject({ traceId: first[0].traceId, parentSpanId: spanIdOf('R1', 'run'), spanId: spanIdOf('R1', 'run@2'), start: 9000, end: 9501, status: 'unset' });
    expect(retried[1]).toMatchObject({ parentSpanId: retried[0].spanId, spanId: attemptSpanId('R1', 'a', 3) });
  });

  it('are named by ids any process derives the same way, and handed to tasks as W3C traceparent', () => {
    expect(traceIdOf('R1')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf('R1')).toBe(traceIdOf('R1'));
    expect(traceIdOf('R1')).not.toBe(traceIdOf('R2'));
    expect(attemptSpanId('R1', 'a', 1)).not.toBe(attemptSpanId('R1', 'a', 2));
    expect(traceparentOf('R1', 'a', 2)).toBe(`00-${traceIdOf('R1')}-${attemptSpanId('R1', 'a', 2)}-01`);
  });
});

describe('where traces go', () => {
  it('is nowhere by default, and where the OpenTelemetry variables say over baton.config.yaml', () => {
    expect(traceTarget(undefined, {})).toEqual({});
    expect(traceTarget({ endpoint: 'http://c:4318/' }, {}).target).toEqual({ url: 'http://c:4318/v1/traces', headers: {}, serviceName: 'baton', timeoutMs: 5000 });
    expect(traceTarget({ endpoint: 'http://c:4318/' }, { OTEL_EXPORTER_OTLP_TIMEOUT: '1500' }).target?.timeoutMs).toBe(1500);
    expect(traceTarget({ endpoint: 'http://c:4318' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }).target?.url).toBe('http://env:4318/v1/traces');
    expect(traceTarget({ endpoint: 'http://c:4318' }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/custom' }).target?.url).toBe('http://env:4318/custom');
    expect(traceTarget({ endpoint: 'http://c:4318', service_name: 'ops' }, { OTEL_SERVICE_NAME: 'prod-baton' }).target?.serviceName).toBe('prod-baton');
    expect(traceTarget({ endpoint: 'http://c:4318', enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' })).toEqual({});
    expect(traceTarget(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_SDK_DISABLED: 'true' })).toEqual({});
    expect(traceTarget(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_TRACES_EXPORTER: 'none' })).toEqual({});
  });

  it('takes headers from the file, a variable it names and the OTLP variables, later ones winning', () => {
    const { target } = traceTarget({ endpoint: 'http://c', headers: { a: '1', b: '1' }, headers_env: 'KEYS' }, { KEYS: 'b=2,c=2', OTEL_EXPORTER_OTLP_HEADERS: 'c=3,d=a%20b' });
    expect(target?.headers).toEqual({ a: '1', b: '2', c: '3', d: 'a b' });
    expect(parseHeaders(' x = 1 ,junk,=no, y=%zz')).toEqual({ x: '1', y: '%zz' });
  });

  it('says why it sends nothing when asked for what it cannot do', () => {
    expect(traceTarget(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }).problem?.code).toBe('TRACING_ENDPOINT');
    expect(traceTarget(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).problem?.message).toMatch(/HTTP port \(4318\)/);
    expect(traceTarget({ endpoint: 'http://c', headers_env: 'NOPE' }, {}).problem?.code).toBe('TRACING_HEADERS');
  });
});
