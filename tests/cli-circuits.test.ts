/**
 * Circuit breakers end to end (docs/engine.md#circuit-breakers): real `baton run` processes
 * over one SQLite store, and a local HTTP server in this process that answers 500 while
 * "broken", counting every request that reaches it. (`batonAsync`: `baton()` blocks this
 * process's event loop, and with it the server.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir } from './helpers.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { StoredEvent } from '../src/store/events.js';

interface TaskView {
  id: string;
  status: string;
  error?: { code: string; message: string; circuit?: string };
  circuit?: { name: string; state: string };
}

/** A dependency: 500 while broken, 200 once mended; `hits` counts what reached it. */
async function dependency(delayMs = 0) {
  const dep = { broken: true, hits: 0, port: 0, server: undefined as unknown as Server };
  dep.server = createServer((_req, res) => {
    dep.hits++;
    setTimeout(() => {
      res.statusCode = dep.broken ? 500 : 200;
      res.end(dep.broken ? 'down' : '{"ok":true}');
    }, delayMs);
  });
  await new Promise<void>((resolve) => dep.server.listen(0, '127.0.0.1', resolve));
  dep.port = (dep.server.address() as AddressInfo).port;
  return dep;
}

/** A project whose baton.config.yaml declares the circuit, with a workflow of `n` calls through it, one at a time. */
function project(port: number, circuit: string, n: number) {
  const dir = tempDir('baton-circuits-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), `circuits:\n  payments-api: ${circuit}\n`);
  const calls = Array.from({ length: n }, (_, i) => `  - id: charge${i + 1}\n    type: http\n    method: POST\n    url: http://127.0.0.1:${port}/charge\n    circuit: payments-api\n    continue_on_error: true\n`).join('');
  writeFileSync(path.join(dir, 'flow.yaml'), `name: checkout\nconcurrency: 1\ntasks:\n${calls}`);
  const store = ['--store', path.join(dir, 'baton.db')];
  const tasks = (runId: string): TaskView[] => (JSON.parse(baton(['status', runId, '--json', ...store], { cwd: dir }).stdout) as { tasks: TaskView[] }).tasks;
  const circuits = () => (JSON.parse(baton(['circuits', '--json', ...store], { cwd: dir }).stdout) as { circuits: Array<{ name: string; state: string; failures: number; opened_after?: number; next_probe_at?: string }> }).circuits;
  const run = async () => {
    const result = await batonAsync(['run', 'flow.yaml', '--json', ...store], { cwd: dir }).done;
    expect(result.stdout, result.stderr).toMatch(/"run_id"/);
    return JSON.parse(result.stdout).run_id as string;
  };
  const events = async (runId: string): Promise<StoredEvent[]> => {
    const opened = openSqliteStore(path.join(dir, 'baton.db'));
    try {
      return await opened.runs.readEvents(runId);
    } finally {
      await opened.close();
    }
  };
  return { dir, store, tasks, circuits, run, events };
}

const changes = (events: StoredEvent[]) => events.filter((e) => e.type === 'CircuitChanged').map((e) => `${(e as { task: string }).task}:${(e as { state: string }).state}`);

describe('circuit breakers', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('opens after 3 failures, fails the next calls at once without reaching the server, and closes once a probe finds it mended', async () => {
    const dep = await dependency();
    servers.push(dep.server);
    const p = project(dep.port, '{failures: 3, window: 1m, open_for: 2s}', 6);
    const first = await p.run();
    expect(dep.hits).toBe(3);
    const tasks = p.tasks(first);
    expect(tasks.slice(0, 3).map((t) => t.error?.code)).toEqual(['HTTP_STATUS', 'HTTP_STATUS', 'HTTP_STATUS']);
    for (const task of tasks.slice(3)) {
      expect(task).toMatchObject({ status: 'failed', error: { code: 'CIRCUIT_OPEN', circuit: 'payments-api' }, circuit: { name: 'payments-api', state: 'open' } });
      expect(task.error!.message).toMatch(/^circuit payments-api is open since \d\d:\d\d:\d\d after 3 failures in 1m; next probe at \d\d:\d\d:\d\d$/);
    }
    expect(changes(await p.events(first))).toEqual(['charge3:open']);
    const [circuit] = p.circuits();
    expect(circuit).toMatchObject({ name: 'payments-api', state: 'open', opened_after: 3 });
    const human = baton(['status', first, ...p.store], { cwd: p.dir });
    expect(human.stdout).toMatch(/⚡ charge4 \(and 2 more\): circuit payments-api is open since \d\d:\d\d:\d\d \(3 failures in 1m00s\); next probe at/);
    expect(baton(['circuits', ...p.store], { cwd: p.dir }).stdout).toMatch(/payments-api\s+open\s+0\/3 in 1m00s\s+\d\d:\d\d:\d\d \(3 failures\)/);

    // Still open: a second run does not reach the server either.
    const second = await p.run();
    expect(dep.hits).toBe(3);
    expect(p.tasks(second).every((t) => t.error?.code === 'CIRCUIT_OPEN')).toBe(true);

    // The server mends; once open_for has passed, the first call goes through as a probe and closes the circuit.
    dep.broken = false;
    const probeAt = Date.parse(p.circuits()[0].next_probe_at!);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, probeAt - Date.now()) + 100));
    const third = await p.run();
    expect(dep.hits).toBe(3 + 6);
    expect(p.tasks(third).every((t) => t.status === 'succeeded')).toBe(true);
    expect(changes(await p.events(third))).toEqual(['charge1:half_open', 'charge1:closed']);
    expect(p.circuits()[0]).toMatchObject({ state: 'closed', failures: 0 });
    // baton status shows the refused task's circuit as it is now: closed.
    expect(baton(['status', first, ...p.store], { cwd: p.dir }).stdout).toMatch(/⚡ charge4 \(and 2 more\): circuit payments-api is closed now/);
  });

  it('is shared by two runs at once: they open it together, once, and both fail fast', async () => {
    const dep = await dependency(100);
    servers.push(dep.server);
    const p = project(dep.port, '{failures: 4, window: 1m, open_for: 1m}', 10);
    const [a, b] = await Promise.all([p.run(), p.run()]);
    const tasksA = p.tasks(a);
    const tasksB = p.tasks(b);
    // 4 failures open it; a call already on its way in the other run, or let through by
    // what that run saw closed a moment before, may still reach the server.
    expect(dep.hits).toBeGreaterThanOrEqual(4);
    expect(dep.hits).toBeLessThanOrEqual(6);
    expect(tasksA.filter((t) => t.error?.code === 'HTTP_STATUS').length + tasksB.filter((t) => t.error?.code === 'HTTP_STATUS').length).toBe(dep.hits);
    expect(tasksA.some((t) => t.error?.code === 'CIRCUIT_OPEN')).toBe(true);
    expect(tasksB.some((t) => t.error?.code === 'CIRCUIT_OPEN')).toBe(true);
    const opened = [...changes(await p.events(a)), ...changes(await p.events(b))];
    expect(opened.filter((c) => c.endsWith(':open'))).toHaveLength(1);
    expect(p.circuits()[0]).toMatchObject({ state: 'open', opened_after: 4 });
  });

  it('baton circuits reset closes it at once: the next run reaches the server again', async () => {
    const dep = await dependency();
    servers.push(dep.server);
    const p = project(dep.port, '{failures: 1, window: 1m, open_for: 1h}', 2);
    await p.run();
    expect(dep.hits).toBe(1);
    const reset = baton(['circuits', 'reset', 'payments-api', ...p.store], { cwd: p.dir });
    expect(reset.status, reset.stderr).toBe(0);
    expect(reset.stdout).toBe("circuit payments-api is closed (it was open): its tasks' attempts go through again\n");
    dep.broken = false;
    const after = await p.run();
    expect(dep.hits).toBe(3);
    expect(p.tasks(after).every((t) => t.status === 'succeeded')).toBe(true);
    const again = baton(['circuits', 'reset', 'payments-api', ...p.store], { cwd: p.dir });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/CIRCUIT_NOT_FOUND|has no state to reset/);
  });

  it('refuses a circuit with a zero window at its line, in a workflow and in baton.config.yaml', () => {
    const dir = tempDir('baton-circuits-');
    writeFileSync(path.join(dir, 'flow.yaml'), 'name: checkout\ncircuits:\n  payments-api: {failures: 3, window: 0, open_for: 30s}\ntasks:\n  - id: charge\n    command: ./charge\n    circuit: payments-api\n');
    const result = baton(['validate', 'flow.yaml'], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/flow\.yaml:3:39: error SPEC_INVALID_VALUE: circuit 'payments-api': `window` must be more than 0 \(it is 0\)/);
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'circuits:\n  payments-api: {failures: 3, window: 0s, open_for: 30s}\n');
    writeFileSync(path.join(dir, 'flow.yaml'), 'name: checkout\ntasks:\n  - id: charge\n    command: ./charge\n    circuit: payments-api\n');
    const config = baton(['validate', 'flow.yaml'], { cwd: dir });
    expect(config.status).not.toBe(0);
    expect(config.stdout + config.stderr).toMatch(/baton\.config\.yaml:2:39: error CONFIG_TYPE: circuit 'payments-api': `window` must be more than 0/);
  });
});
