/**
 * The /metrics collector over a memory store, fed by runs the real engine drives: what it
 * counts is read back from prom-client's text, as Prometheus would read it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loop, noop, runTest, workflow } from '../../engine/test-dsl.js';
import { createMemoryStore } from '../../store/memory/memory-store.js';
import type { Store } from '../../store/store.js';
import { MetricsCollector, onlyNamespace } from './collector.js';
import { parseExposition, valueOf } from './test-parse.js';
import { DURATION_BUCKETS } from './metric-set.js';
import { LabelCaps, taskLabel } from './labels.js';

const RETRY = { attempts: 3, delay: 1, backoff: 'fixed' as const, factor: 1, jitter: 0 };
let collector: MetricsCollector | undefined;
afterEach(() => collector?.stop());

async function scrape(namespace?: string) {
  return parseExposition(await collector!.render(namespace));
}

describe('the /metrics collector', () => {
  it('counts runs, attempts, retries and task ends of every run recorded after it started, with their durations', async () => {
    const store: Store = createMemoryStore();
    // Before the collector: history, not counted.
    await runTest(workflow([noop('old')], { name: 'deploy' }), {}, { store });
    collector = await MetricsCollector.start({ store, everyMs: 60_000 });
    await runTest(workflow([noop('build'), noop('test', { depends_on: ['build'], retry: RETRY })], { name: 'deploy' }), { test: ['fail', 'ok'] }, { store });
    await runTest(workflow([noop('migrate', { retry: RETRY })], { name: 'deploy' }), { migrate: ['fail', 'fail', 'fail'] }, { store });
    await runTest(workflow([loop('envs', ['qa', 'prod', 'dev'], noop('push'))], { name: 'fanout' }), {}, { store });
    const m = await scrape();
    expect(valueOf(m, 'baton_runs_created_total', { workflow: 'deploy' })).toBe(2);
    expect(valueOf(m, 'baton_runs_finished_total', { workflow: 'deploy', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_runs_finished_total', { workflow: 'deploy', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_runs_finished_total', { workflow: 'fanout', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_run_duration_seconds_count', { workflow: 'deploy', status: 'failed' })).toBe(1);
    // test: failed once, retried, succeeded; migrate: three failed attempts, two retries, one failed end.
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'deploy', task: 'test', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'deploy', task: 'test', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_task_retries_total', { workflow: 'deploy', task: 'test' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'deploy', task: 'test', status: 'succeeded' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'deploy', task: 'test', status: 'failed' })).toBe(0);
    expect(valueOf(m, 'baton_task_attempts_total', { workflow: 'deploy', task: 'migrate', status: 'failed' })).toBe(3);
    expect(valueOf(m, 'baton_task_retries_total', { workflow: 'deploy', task: 'migrate' })).toBe(2);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'deploy', task: 'migrate', status: 'failed' })).toBe(1);
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'deploy', task: 'old' })).toBe(0);
    // Loop iterations are counted under the loop's task id, not one series per item.
    expect(valueOf(m, 'baton_tasks_finished_total', { workflow: 'fanout', task: 'envs', status: 'succeeded' })).toBe(4);
    expect(m.samples.some((s) => s.labels.task?.includes('['))).toBe(false);
    // Histograms: one bucket per bound and +Inf, cumulative, counting every attempt.
    const buckets = m.samples.filter((s) => s.name === 'baton_task_attempt_duration_seconds_bucket' && s.labels.task === 'migrate');
    expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    expect(buckets.at(-1)!.value).toBe(3);
    expect(m.type.get('baton_run_duration_seconds')).toBe('histogram');
    expect(m.help.get('baton_tasks_finished_total')).toContain('after their retries');
    // Process metrics, prefixed.
    expect(m.samples.some((s) => s.name === 'baton_process_cpu_user_seconds_total')).toBe(true);
    expect(m.samples.some((s) => s.name.startsWith('process_'))).toBe(false);
    expect(collector.trackedRuns).toBe(0);
  });

  it('catches up a run met in the middle: the durations of attempts that started before it', async () => {
    const store = createMemoryStore();
    const created = { type: 'RunCreated' as const, workflow: { name: 'slow', tasks: [] }, inputs: {}, env: {}, at: 1000 };
    await store.runs.createRun({ id: 'R1', workflow: 'slow', created_at: 1000 }, [created, { type: 'RunStarted', at: 1001 }, { type: 'TaskStarted', task: 'wait', attempt: 1, at: 2000 }]);
    collector = await MetricsCollector.start({ store, everyMs: 60_000, processMetrics: false });
    await store.runs.append('R1', [{ type: 'TaskSucceeded', task: 'wait', attempt: 1, outputs: {}, at: 4500 }, { type: 'RunSucceeded', at: 5000 }]);
    const m = await scrape();
    expect(valueOf(m, 'baton_task_attempt_duration_seconds_sum', { workflow: 'slow', task: 'wait' })).toBe(2.5);
    expect(valueOf(m, 'baton_run_duration_seconds_sum', { workflow: 'slow' })).toBe(4);
    expect(valueOf(m, 'baton_runs_created_total', { workflow: 'slow' })).toBe(0);
  });

  it("reads the gauges from the store when scraped: unfinished runs by status, circuits' states", async () => {
    const store = createMemoryStore();
    const created = (at: number) => ({ type: 'RunCreated' as const, workflow: { name: 'w', tasks: [] }, inputs: {}, env: {}, at });
    await store.runs.createRun({ id: 'Q1', workflow: 'w', created_at: 1 }, [created(1), { type: 'RunQueued', priority: 0, reason: 'max_running', at: 2 }]);
    await store.runs.createRun({ id: 'Q2', workflow: 'w', created_at: 1 }, [created(1), { type: 'RunQueued', priority: 0, reason: 'max_running', at: 2 }]);
    await store.runs.createRun({ id: 'R1', workflow: 'w', created_at: 1 }, [created(1), { type: 'RunStarted', at: 2 }]);
    const limits = { failures: 2, window: 60_000, open_for: 30_000, probes: 1 };
    const api = { namespace: 'default', name: 'payments-api' };
    for (const at of [10, 11]) await store.circuits.record(api, limits, { result: 'failure', at });
    collector = await MetricsCollector.start({ store, everyMs: 60_000, processMetrics: false });
    const m = await scrape();
    expect(valueOf(m, 'baton_runs', { namespace: 'default', status: 'queued' })).toBe(2);
    expect(valueOf(m, 'baton_runs', { namespace: 'default', status: 'running' })).toBe(1);
    expect(valueOf(m, 'baton_runs', { namespace: 'default', status: 'waiting' })).toBe(0);
    expect(valueOf(m, 'baton_circuit_state', { circuit: 'payments-api', state: 'open' })).toBe(1);
    expect(valueOf(m, 'baton_circuit_state', { circuit: 'payments-api', state: 'closed' })).toBe(0);
    expect(valueOf(m, 'baton_workers')).toBe(0);
  });

  it("shows a token of one namespace only that namespace's series", () => {
    const text = [
      '# HELP baton_runs_created_total x',
      'baton_runs_created_total{namespace="acme",workflow="a"} 1',
      'baton_runs_created_total{namespace="other",workflow="b"} 2',
      'baton_circuit_state{namespace="acme",circuit="c",state="open"} 1',
      'baton_work_items{queue="default",state="ready"} 3',
      'baton_process_cpu_user_seconds_total 0.5',
    ].join('\n');
    expect(onlyNamespace(text, 'acme').split('\n')).toEqual([
      '# HELP baton_runs_created_total x',
      'baton_runs_created_total{namespace="acme",workflow="a"} 1',
      'baton_circuit_state{namespace="acme",circuit="c",state="open"} 1',
      'baton_work_items{queue="default",state="ready"} 3',
      'baton_process_cpu_user_seconds_total 0.5',
    ]);
  });
});

describe('metric labels', () => {
  it('name a task by its id, without loop items or step repeats', () => {
    expect(['deploy', 'envs[qa]', 'p[0][then]', 'compensate[deploy]', 'poll#3', '[odd]'].map(taskLabel)).toEqual(['deploy', 'envs', 'p', 'compensate', 'poll', '[odd]']);
  });

  it('fold tasks and workflows past their caps into other', () => {
    const caps = new LabelCaps(2, 3);
    const a = caps.run('default', 'a');
    expect(['t1', 't2', 't3', 't4', 't1'].map((t) => caps.task(a, t).task)).toEqual(['t1', 't2', 't3', 'other', 't1']);
    expect(caps.run('default', 'b').workflow).toBe('b');
    expect(caps.run('default', 'c')).toEqual({ namespace: 'default', workflow: 'other' });
    expect(caps.task(caps.run('default', 'c'), 'x').task).toBe('other');
    expect(caps.run('acme', 'a').workflow).toBe('other');
  });
});
