/**
 * OpenTelemetry traces of runs (docs/observability.md#traces), received by an OTLP/HTTP
 * receiver started here (a node:http server taking the JSON the exporter POSTs to
 * /v1/traces): a real `baton run` with a retry sends its run and attempt spans when it ends;
 * its tasks get TRACEPARENT and its http tasks a `traceparent` header naming their own
 * attempt's span; a run killed -9 and resumed by another process is one trace; off by
 * default; a collector that is down costs a warning, not the run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attemptSpanId, traceIdOf } from '../src/observability/tracing/ids.js';
import { baton, batonAsync, tempDir, until } from './helpers.js';
import { killServers, project, serve } from './serve-helpers.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status: { code?: number; message?: string };
  events?: Array<{ name: string }>;
}
interface Received {
  headers: http.IncomingHttpHeaders;
  service: string;
  spans: OtlpSpan[];
}

let receiver: http.Server;
let base = '';
const exports: Received[] = [];
const calls: Array<string | undefined> = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.method === 'POST') {
        const doc = JSON.parse(body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: OtlpValue }> }; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of doc.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          exports.push({ headers: req.headers, service, spans: rs.scopeSpans.flatMap((s) => s.spans) });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      calls.push(req.headers.traceparent as string | undefined);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
beforeEach(() => {
  exports.length = 0;
  calls.length = 0;
});

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : value?.boolValue);
};
const spansOf = () => exports.flatMap((e) => e.spans);
/** baton, not waited for synchronously: the receiver answers from this process's event loop. */
const batonRun = (args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) => batonAsync(args, options).done;
const otel = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: base });

function flow(text: string): { dir: string; file: string } {
  const dir = tempDir('baton-tracing-');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

const TRACED = (url: string) => `name: traced
tasks:
  - id: flaky
    command: test -f marker || { touch marker; exit 1; }
    retry: { attempts: 2, delay: 100ms }
  - id: show
    depends_on: [flaky]
    command: printf '%s' "$TRACEPARENT" > traceparent.txt
  - id: call
    depends_on: [show]
    type: http
    url: ${url}/echo
`;

describe('traces of baton run', () => {
  it('sends the run and each attempt (a retry its own span) with attributes, statuses and times, when the run ends', async () => {
    const { dir, file } = flow(TRACED(base));
    const run = await batonRun(['run', file, '--json'], { cwd: dir, env: otel() });
    expect(run.status, run.stderr).toBe(0);
    const runId = (JSON.parse(run.stdout) as { run_id: string }).run_id;
    // Sent before the command ended.
    const spans = spansOf();
    expect(exports.every((e) => e.service === 'baton')).toBe(true);
    expect(spans.map((s) => s.name)).toEqual(['traced', 'flaky', 'flaky', 'show', 'call']);
    const [root, failed, retried, show, call] = spans;
    expect(spans.every((s) => s.traceId === traceIdOf(runId))).toBe(true);
    expect(root.parentSpanId ?? '').toBe('');
    expect(spans.slice(1).every((s) => s.parentSpanId === root.spanId)).toBe(true);
    expect([attr(root, 'baton.workflow'), attr(root, 'baton.run_id'), attr(root, 'baton.run.status')]).toEqual(['traced', runId, 'succeeded']);
    expect([attr(failed, 'baton.task'), attr(failed, 'baton.attempt'), attr(failed, 'baton.status'), attr(failed, 'baton.exit_code'), attr(failed, 'baton.error.code')]).toEqual(['flaky', 1, 'failed', 1, 'EXEC_EXIT_CODE']);
    expect(failed.status.code).toBe(2);
    expect(failed.events?.map((e) => e.name)).toEqual(['retry scheduled']);
    expect([attr(retried, 'baton.attempt'), attr(retried, 'baton.status'), attr(retried, 'baton.exit_code')]).toEqual([2, 'succeeded', 0]);
    expect(retried.status.code ?? 0).toBe(0);
    // Times as recorded: each span within the run's, the retry after the failure, tasks in order.
    const t = (s: OtlpSpan) => [BigInt(s.startTimeUnixNano), BigInt(s.endTimeUnixNano)];
    for (const span of spans) expect(t(span)[1] >= t(span)[0]).toBe(true);
    for (const span of spans.slice(1)) expect(t(span)[0] >= t(root)[0] && t(span)[1] <= t(root)[1]).toBe(true);
    expect(t(retried)[0] >= t(failed)[1]).toBe(true);
    expect(t(show)[0] >= t(retried)[1] && t(call)[0] >= t(show)[1]).toBe(true);
    // The task's programs and its http request name the attempt's own span.
    expect(readFileSync(path.join(dir, 'traceparent.txt'), 'utf8')).toBe(`00-${traceIdOf(runId)}-${show.spanId}-01`);
    expect(show.spanId).toBe(attemptSpanId(runId, 'show', 1));
    expect(calls).toEqual([`00-${traceIdOf(runId)}-${call.spanId}-01`]);
  }, 60_000);

  it('keeps one trace when a run killed -9 is resumed by another process, which sends it', async () => {
    const { dir, file } = flow('name: crashy\ntasks:\n  - id: long\n    command: test -f resumed || { touch started; sleep 30; }\n');
    const running = batonAsync(['run', file], { cwd: dir, env: otel() });
    await until(() => existsSync(path.join(dir, 'started')), 15_000, 'the task to start');
    running.child.kill('SIGKILL');
    await running.done;
    expect(spansOf()).toEqual([]);
    writeFileSync(path.join(dir, 'resumed'), '');
    const history = JSON.parse(baton(['history', '--json'], { cwd: dir }).stdout) as Array<{ run_id: string }>;
    const runId = history[0].run_id;
    const resumed = await batonRun(['resume', runId], { cwd: dir, env: otel() });
    expect(resumed.status, resumed.stderr).toBe(0);
    const spans = spansOf();
    expect(spans.map((s) => `${s.name}:${attr(s, 'baton.attempt') ?? ''}:${attr(s, 'baton.status') ?? attr(s, 'baton.run.status')}`)).toEqual(['crashy::succeeded', 'long:1:interrupted', 'long:2:succeeded']);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceIdOf(runId)]));
    expect(spans[0].events?.map((e) => e.name)).toContain('resumed');
  }, 60_000);

  it("hands a code run's ctx.sh its step attempt's span, and sends its steps as spans", async () => {
    const dir = tempDir('baton-tracing-');
    const file = path.join(dir, 'flow.ts');
    writeFileSync(file, `import { workflow } from 'baton';
export default workflow({ name: 'coded' }, async (ctx) => {
  await ctx.step('show', () => ctx.sh\`printf '%s' "$TRACEPARENT" > traceparent.txt\`);
  return ctx.summary('shown');
});
`);
    const run = await batonRun(['run', file, '--json'], { cwd: dir, env: otel() });
    expect(run.status, run.stderr).toBe(0);
    const runId = (JSON.parse(run.stdout) as { run_id: string }).run_id;
    const spans = spansOf();
    expect(spans.map((s) => `${s.name}:${attr(s, 'baton.step.kind') ?? attr(s, 'baton.run.kind')}`)).toEqual(['coded:code', 'show:step']);
    expect(readFileSync(path.join(dir, 'traceparent.txt'), 'utf8')).toBe(`00-${traceIdOf(runId)}-${spans[1].spanId}-01`);
  }, 60_000);

  it('sends the runs baton serve drives, started over its API', async () => {
    const dir = project({ 'hello.yaml': 'name: hello\ntasks:\n  - id: greet\n    command: echo hi\n' });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = base;
    let s: Awaited<ReturnType<typeof serve>>;
    try {
      s = await serve(dir);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    try {
      const started = (await (await fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST' })).json()) as { run_id: string };
      await until(() => spansOf().length === 2, 20_000, 'the run to be sent');
      expect(spansOf().map((x) => x.name)).toEqual(['hello', 'greet']);
      expect(spansOf()[0].traceId).toBe(traceIdOf(started.run_id));
    } finally {
      killServers();
    }
  }, 60_000);

  it('is off by default: nothing sent, no TRACEPARENT', async () => {
    const { dir, file } = flow(TRACED(base));
    const run = await batonRun(['run', file], { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } });
    expect(run.status, run.stderr).toBe(0);
    expect(exports).toEqual([]);
    expect(readFileSync(path.join(dir, 'traceparent.txt'), 'utf8')).toBe('');
    expect(calls).toEqual([undefined]);
  }, 60_000);

  it("takes baton.config.yaml's tracing: endpoint, headers from a variable and service name", async () => {
    const { dir, file } = flow('name: configured\ntasks:\n  - id: a\n    command: "true"\n');
    writeFileSync(path.join(dir, 'baton.config.yaml'), `tracing:\n  endpoint: ${base}\n  headers: { x-team: ops }\n  headers_env: OTLP_KEYS\n  service_name: baton-ci\n`);
    const run = await batonRun(['run', file], { cwd: dir, env: { OTLP_KEYS: 'x-api-key=s3cret' } });
    expect(run.status, run.stderr).toBe(0);
    expect(exports).toHaveLength(1);
    expect(exports[0]).toMatchObject({ service: 'baton-ci', headers: { 'x-team': 'ops', 'x-api-key': 's3cret', 'content-type': 'application/json' } });
    expect(exports[0].spans.map((s) => s.name)).toEqual(['configured', 'a']);
  }, 60_000);

  it('says once that a collector cannot be reached, and the run succeeds all the same', async () => {
    const { dir, file } = flow('name: lonely\ntasks:\n  - id: a\n    command: "true"\n');
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const run = await batonRun(['run', file], { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/baton: tracing: run \w+: could not send 2 spans to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: .* \[TRACING_EXPORT\]/);
    const grpc = await batonRun(['run', file], { cwd: dir, env: { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    expect(grpc.status).toBe(0);
    expect(grpc.stderr).toContain('[TRACING_PROTOCOL]');
    expect(exports).toEqual([]);
  }, 60_000);
});
