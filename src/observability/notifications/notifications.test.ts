/**
 * Which notices a run's end causes (rules.ts), how alert conditions and templates read
 * (condition.ts), the workflow's numbers (stats.ts) and the sender's back-off (sender.ts),
 * over real runs on a memory store. The end-to-end path (baton run, Slack, webhooks,
 * baton serve) is in tests/cli-notifications.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../engine/runner.js';
import { noop, shell, workflow } from '../../engine/test-dsl.js';
import type { Workflow } from '../../spec/model.js';
import { createMemoryStore } from '../../store/memory/memory-store.js';
import type { RunRecord } from '../../store/store.js';
import { alertExpression, alertHolds, renderAlertTemplate } from './condition.js';
import { noticeMaker, type NoticePolicy } from './rules.js';
import { BASE_DELAY_MS, MAX_ATTEMPTS, MAX_DELAY_MS, NoticeSender, retryAt } from './sender.js';
import { statsOf } from './stats.js';

const failing = (extra: Partial<Workflow> = {}) => workflow([shell('a', 'exit 3')], { name: 'nightly', ...extra });
const passing = (extra: Partial<Workflow> = {}) => workflow([noop('a')], { name: 'nightly', ...extra });

async function ended(wf: Workflow, policy: NoticePolicy = {}, store = createMemoryStore()) {
  const warnings: string[] = [];
  const { state } = await runWorkflow({ store, workflow: wf, notices: noticeMaker(policy, (line) => warnings.push(line)) });
  return { state, items: await store.outbox.list({ run_id: state.runId }), warnings, store };
}

describe('the notices of a run end', () => {
  it("on_failure tells each channel once, with the first failed task and its error; a success tells nothing unless asked", async () => {
    const { state, items } = await ended(failing({ notifications: { channels: ['ops', 'team', 'ops'], on_failure: true, on_success: false, on_completion: false } }));
    expect(state.status).toBe('failed');
    expect(items.map((i) => i.channel).sort()).toEqual(['ops', 'team']);
    const notice = items[0].notice;
    expect(notice).toMatchObject({ kind: 'run', title: 'nightly failed', status: 'failed', failed_task: 'a', workflow: 'nightly', run_id: state.runId, error: 'command exited with code 3' });
    expect(String(notice.text)).toContain(`Run ${state.runId} of nightly failed after`);
    expect(items[0].key).toMatch(new RegExp(`^run:${state.runId}:\\d+:(ops|team)$`));
    expect((await ended(passing({ notifications: { channels: ['ops'], on_failure: true, on_success: false, on_completion: false } }))).items).toEqual([]);
    expect((await ended(passing({ notifications: { channels: ['ops'], on_failure: false, on_success: false, on_completion: true } }))).items).toHaveLength(1);
  });

  it("the config's defaults apply only to workflows with no notifications of their own; runs link to server.public_url", async () => {
    const defaults = { channels: ['team'], on_failure: true, on_success: false, on_completion: false };
    const { items, state } = await ended(failing(), { defaults, publicUrl: 'https://baton.example.com/' });
    expect(items.map((i) => i.channel)).toEqual(['team']);
    expect(items[0].notice.run_url).toBe(`https://baton.example.com/runs/${state.runId}`);
    const own = await ended(failing({ notifications: { channels: ['ops'], on_failure: true, on_success: false, on_completion: false } }), { defaults });
    expect(own.items.map((i) => i.channel)).toEqual(['ops']);
  });

  it('alerts: once per rule, workflow and window (repeats counted); channels default to the notifications; the expected duration waits for one', async () => {
    const store = createMemoryStore();
    const wf = failing({
      notifications: { channels: ['team'], on_failure: false, on_success: false, on_completion: false },
      alerts: [
        { name: 'failed', condition: "execution.status === 'failed'", channels: [], template: '${ workflow.name }: ${ error.message } (${ execution.tasks_failed } failed)' },
        { name: 'slow', condition: 'execution.duration > workflow.expected_duration * 2', channels: ['ops'] },
      ],
    });
    await ended(wf, {}, store);
    await ended(wf, {}, store);
    const all = await store.outbox.list();
    // No expected duration yet (none declared, no succeeded run): `slow` says nothing.
    expect(all.map((i) => [i.notice.alert, i.channel, i.repeats])).toEqual([['failed', 'team', 1]]);
    expect(all[0].notice.text).toBe('nightly: command exited with code 3 (1 failed)');
    expect(all[0].key).toMatch(/^alert:default:nightly:failed:team:\d+$/);
  });

  it('metrics are read only when a rule uses them, and count the ending run', async () => {
    const store = createMemoryStore();
    let reads = 0;
    const listRuns = store.runs.listRuns.bind(store.runs);
    store.runs.listRuns = (filter) => {
      reads++;
      return listRuns(filter);
    };
    await ended(failing({ alerts: [{ name: 'failed', condition: "execution.status == 'failed'", channels: ['ops'] }] }), {}, store);
    expect(reads).toBe(0);
    await ended(passing(), {}, store);
    const { items } = await ended(failing({ alerts: [{ name: 'rate', condition: 'metrics.success_rate < 50', channels: ['ops'], template: '${ metrics.success_rate }% of ${ metrics.runs }' }] }), {}, store);
    expect(reads).toBe(1);
    expect(items.find((i) => i.notice.alert === 'rate')?.notice.text).toBe('33.3% of 3');
  });

  it('a condition that cannot be evaluated is reported and skipped; the run ends as it would', async () => {
    const { state, items, warnings } = await ended(failing({ alerts: [{ name: 'odd', condition: "fromJSON('{') == 1", channels: ['ops'] }] }));
    expect(state.status).toBe('failed');
    expect(items).toEqual([]);
    expect(warnings[0]).toMatch(/^alert odd of run \w+ could not be evaluated/);
  });
});

describe('alert conditions and templates', () => {
  it("read seed 004's forms: === and !==, a * b; quoted text untouched", () => {
    expect(alertExpression("execution.status === 'a * b' && x !== 2 * y.z")).toBe("execution.status == 'a * b' && x != mul(2, y.z)");
    expect(alertHolds('execution.duration > workflow.expected_duration * 2', { execution: { duration: 201 }, workflow: { expected_duration: 100 } })).toBe(true);
    expect(alertHolds('execution.duration > workflow.expected_duration * 2', { execution: { duration: 200 }, workflow: { expected_duration: 100 } })).toBe(false);
    expect(alertHolds('metrics.successRate < 90', { metrics: { successRate: 89.5 } })).toBe(true);
  });

  it('templates: every ${ } is evaluated, $${ is literal, values as text or JSON', () => {
    const contexts = { workflow: { name: 'w' }, error: { code: 'E', message: 'boom' }, execution: { error: null, duration: 5 } };
    expect(renderAlertTemplate('${workflow.name}: ${ error.message } $${HOME} ${ execution.error }|${ error }', contexts)).toBe('w: boom ${HOME} |{"code":"E","message":"boom"}');
  });
});

describe('stats and back-off', () => {
  it('success rate over finished runs (cancelled included), the ending run counted; durations of succeeded runs', () => {
    const run = (status: RunRecord['status'], ms: number): RunRecord => ({ id: `r${ms}`, namespace: 'default', workflow: 'w', status, created_at: 0, updated_at: ms, ended_at: ms, active_ms: ms });
    const stats = statsOf([run('succeeded', 100), run('succeeded', 300), run('cancelled', 50)], { status: 'failed', durationMs: 10 });
    expect(stats).toMatchObject({ runs: 4, succeeded: 2, failed: 1, success_rate: 50, p50_ms: 100, p95_ms: 300, avg_ms: 200 });
  });

  it('doubles from BASE_DELAY_MS up to MAX_DELAY_MS, then gives up; never for what cannot be helped', () => {
    expect(retryAt(1, true, 0)).toBe(BASE_DELAY_MS);
    expect(retryAt(3, true, 0)).toBe(4 * BASE_DELAY_MS);
    expect(retryAt(MAX_ATTEMPTS - 1, true, 0)).toBe(Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (MAX_ATTEMPTS - 2)));
    expect(retryAt(MAX_ATTEMPTS, true, 0)).toBeUndefined();
    expect(retryAt(1, false, 0)).toBeUndefined();
  });
});

describe('the sender', () => {
  let server: Server;
  let base = '';
  const bodies: Array<Record<string, unknown>> = [];
  let answers: number[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends, retries after the back-off, gives up on a channel it does not know, and says how many repeats a notice stands for', async () => {
    const store = createMemoryStore();
    let now = 1_000_000;
    const logged: string[] = [];
    const sender = new NoticeSender({ store, channels: { hook: { type: 'webhook', url: `${base}/x`, headers: {} } }, sender: 'test', now: () => now, log: (line) => logged.push(line) });
    const notice = { kind: 'alert', title: 't', text: 'flaky', delivery: 'd', at: 1 };
    await store.outbox.add([{ key: 'a', namespace: 'default', channel: 'hook', notice }, { key: 'a', namespace: 'default', channel: 'hook', notice }, { key: 'b', namespace: 'default', channel: 'gone', notice }], now);
    answers = [503];
    expect(await sender.sendDue()).toEqual({ sent: 0, retrying: 1, failed: 1 });
    expect(logged[0]).toMatch(/notification b given up: channel gone is not defined/);
    expect(await sender.sendDue()).toEqual({ sent: 0, retrying: 0, failed: 0 });
    now += BASE_DELAY_MS;
    expect(await sender.sendDue()).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(bodies.at(-1)?.text).toBe('flaky\n(1 more time in this window, not sent separately)');
    expect((await store.outbox.list({ state: 'sent' })).map((i) => [i.key, i.attempts])).toEqual([['a', 2]]);
  });
});
