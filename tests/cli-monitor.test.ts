/**
 * `baton monitor` through a real terminal (tmux): a project's SQLite store with a run going
 * (a loop whose last iteration reports progress and runs until cancelled) and one that
 * failed; the dashboard shows both, a run opens, its task's output and the run's follow
 * live, `c` + `y` cancels it (as `baton status --json` then says), and `q` gives the
 * terminal back. Then the same against `baton serve` with a token. Screens are polled
 * until what is awaited shows, with generous deadlines; nothing waits a fixed time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, BATON, batonAsync, TEST_HOME, tempDir, until } from './helpers.js';
import { killServers, serve } from './serve-helpers.js';
import { Terminal } from './tmux.js';

const SLOW = `name: slow-flow
tasks:
  - id: prepare
    command: echo preparing
  - id: shards
    type: loop
    depends_on: [prepare]
    parallel: true
    items: [a, b, c]
    task:
      command: |
        if [ "\${ item }" = c ]; then
          echo MONITOR-MARKER-LINE
          for i in $(seq 1 99); do echo "progress=$i" >> "$BATON_OUTPUT"; echo "tick $i"; sleep 1; done
        fi
  - id: after
    depends_on: [shards]
    command: echo after
`;
const FAILING = 'name: failing\ntasks:\n  - id: boom\n    command: echo oops >&2; exit 3\n';

const terminals: Terminal[] = [];
const children: Array<ReturnType<typeof batonAsync>['child']> = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.close();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  killServers();
});

function project(): string {
  const dir = tempDir('baton-monitor-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  writeFileSync(path.join(dir, 'slow.yaml'), SLOW);
  writeFileSync(path.join(dir, 'failing.yaml'), FAILING);
  return dir;
}

function monitor(dir: string, args: string[], env: Record<string, string> = {}): Terminal {
  const t = new Terminal([process.execPath, BATON, 'monitor', '--refresh', '200', ...args], { cwd: dir, env: { BATON_HOME: TEST_HOME, NO_COLOR: '1', ...env } });
  terminals.push(t);
  return t;
}

/** The selected row of the screen (marked `>`). */
const selectedRow = (screen: string) => screen.split('\n').find((line) => line.startsWith('> ')) ?? '';

/** Presses j until the selected row holds `text`. */
async function select(t: Terminal, text: string): Promise<void> {
  for (let i = 0; i < 20 && !selectedRow(t.screen()).includes(text); i++) {
    const before = t.screen();
    t.keys('j');
    await t.waitFor((s) => s !== before, 'the selection to move');
  }
  expect(selectedRow(t.screen())).toContain(text);
}

async function statusOf(dir: string, runId: string, env: Record<string, string> = {}, server: string[] = []): Promise<string> {
  const r = baton(['status', runId, '--json', ...server], { cwd: dir, env });
  return (JSON.parse(r.stdout) as { status: string }).status;
}

/** Quits with q and checks the terminal is given back: main screen, cursor shown, exit 0. */
async function quit(t: Terminal): Promise<void> {
  t.keys('q');
  const screen = await t.waitFor(/EXITED \d+/, 'the monitor to exit');
  expect(screen).toContain('EXITED 0');
  expect(t.format('#{alternate_on}')).toBe('0');
  expect(t.format('#{cursor_flag}')).toBe('1');
}

describe('baton monitor on a SQLite store', () => {
  it('shows runs, opens one, follows its logs, cancels it and gives the terminal back', async () => {
    const dir = project();
    expect(baton(['run', 'failing.yaml'], { cwd: dir }).status).toBe(1);
    const run = batonAsync(['run', 'slow.yaml'], { cwd: dir });
    children.push(run.child);
    const t = monitor(dir, []);

    // The dashboard: the run going, its loop's iterations, the task's progress; the failed run.
    let screen = await t.waitFor((s) => /shards\[c\].*\d+%/.test(s) && /shards\s+loop 2\/3/.test(s), 'the running loop with its progress');
    expect(screen).toContain(`store ${path.join(dir, '.baton', 'baton.db')}`);
    expect(screen).toMatch(/running 1\s+interrupted 0\s+waiting 0\s+queued 0\s+failed 1h 1 24h 1/);
    expect(screen).toMatch(/RECENTLY ENDED\n\s+\w{10}\s+failing\s+failed .*boom EXEC_EXIT_CODE/);
    expect(selectedRow(screen)).toMatch(/^> \w{10}\s+slow-flow\s+running\s+\S+\s+3\/6 tasks/);
    const runId = (/^> (\w{10})/.exec(selectedRow(screen)) ?? [])[1];
    expect(runId).toBeDefined();

    // ? shows every key, wrapped to the width; ? again hides them.
    t.keys('?');
    await t.waitFor((s) => s.includes('Keys: ↑/k ↓/j move') && s.includes('Ctrl-C quits'), 'the help');
    t.keys('?');
    await t.waitFor((s) => !s.includes('Keys:') && s.trimEnd().endsWith('? help  q quit'), 'the keys line again');

    // A smaller terminal: the frame is drawn again at its size, no line wrapped.
    t.resize(70, 20);
    screen = await t.waitFor((s) => s.split('\n')[19]?.startsWith('↑↓/jk select') === true, 'the frame at 70x20');
    expect(screen.split('\n').every((line) => line.length <= 70)).toBe(true);
    expect(screen.split('\n')[1]).toMatch(/^running 1 .*…$/);
    t.resize(120, 40);
    await t.waitFor((s) => s.split('\n')[39]?.startsWith('↑↓/jk select') === true, 'the frame at 120x40 again');

    // Enter opens it: every task, with status and attempt.
    t.keys('Enter');
    screen = await t.waitFor(/RUN \w{26}\s+slow-flow\s+running/, "the run's page");
    const fullId = (/RUN (\w{26})/.exec(screen) ?? [])[1];
    expect(fullId.startsWith(runId)).toBe(true);
    expect(screen).toMatch(/prepare\s+succeeded\s+1/);
    expect(screen).toMatch(/shards\[c\]\s+running\s+1/);
    expect(screen).toMatch(/after\s+pending/);

    // l on a task: its output, followed as it comes.
    await select(t, 'shards[c]');
    t.keys('l');
    screen = await t.waitFor((s) => s.includes('MONITOR-MARKER-LINE') && /tick \d+/.test(s), "the task's output");
    expect(screen).toContain(`LOGS ${fullId}  task shards[c]  following`);
    const ticks = (s: string) => Math.max(...[...s.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    const seen = ticks(screen);
    await t.waitFor((s) => ticks(s) > seen, 'a new line of output');

    // Esc back to the run, again to the dashboard; l there: every task's output, prefixed.
    t.keys('Escape');
    await t.waitFor(/RUN \w{26}/, "the run's page again");
    t.keys('BSpace');
    await t.waitFor('UNFINISHED RUNS', 'the dashboard again');
    t.keys('l');
    await t.waitFor((s) => s.includes(`LOGS ${fullId}  every task`) && s.includes('shards[c] | MONITOR-MARKER-LINE') && s.includes('prepare | preparing'), "the run's output");
    t.keys('Escape');
    await t.waitFor('UNFINISHED RUNS', 'the dashboard again');

    // c asks; n lets it be; c then y cancels it.
    t.keys('c');
    await t.waitFor(`Cancel run ${runId} slow-flow? y/n`, 'the question');
    t.keys('n');
    await t.waitFor(`run ${fullId} not cancelled`, 'the answer taken');
    expect(await statusOf(dir, fullId)).toBe('running');
    t.keys('c');
    await t.waitFor('? y/n', 'the question again');
    t.keys('y');
    await t.waitFor(new RegExp(`asked pid \\d+ on .* to cancel run ${fullId}`), 'the cancel asked');
    await until(() => run.child.exitCode !== null, 30_000, 'baton run to end');
    expect(await statusOf(dir, fullId)).toBe('cancelled');
    screen = await t.waitFor(/RECENTLY ENDED\n> \w{10}\s+slow-flow\s+cancelled/, 'the run among those that ended, still selected');
    expect(screen).toMatch(/running 0\s+interrupted 0/);

    await quit(t);
  }, 180_000);

  it('shows a store created after it started, a run whose process is gone as interrupted, and cancels it in the background', async () => {
    const dir = project();
    writeFileSync(path.join(dir, 'hang.yaml'), 'name: hang\ntasks:\n  - id: nap\n    command: echo napping; sleep 20\n');
    const t = monitor(dir, []);
    await t.waitFor('UNFINISHED RUNS', 'the empty dashboard');
    const run = batonAsync(['run', 'hang.yaml'], { cwd: dir });
    children.push(run.child);
    // The store does not exist yet when the monitor starts: it shows the run once the run creates it.
    await t.waitFor(/hang\s+running[\s\S]*nap\s+\S+/, 'the run going');
    run.child.kill('SIGKILL');
    let screen = await t.waitFor(/interrupted 1/, 'the run interrupted');
    expect(selectedRow(screen)).toMatch(/hang\s+interrupted .*its process is gone: baton resume/);
    const runId = (/^> (\w{10})/.exec(selectedRow(screen)) ?? [])[1];
    t.keys('c');
    await t.waitFor('? y/n', 'the question');
    t.keys('y');
    screen = await t.waitFor('had nobody driving it: it is being cancelled', 'the cancel started');
    const fullId = (/run (\w{26}) had nobody/.exec(screen) ?? [])[1];
    expect(fullId.startsWith(runId)).toBe(true);
    await until(() => baton(['status', fullId, '--json'], { cwd: dir }).stdout.includes('"status": "cancelled"'), 30_000, 'the run to be cancelled');
    screen = await t.waitFor(/RECENTLY ENDED\n> \w{10}\s+hang\s+cancelled/, 'the run ended');
    expect(screen).toMatch(/interrupted 0/);
    expect(screen).not.toContain('failed:');
    await quit(t);
  }, 120_000);

  it('prints one snapshot with --once and the overview with --json, and refuses a live screen where standard output is no terminal', async () => {
    const dir = project();
    expect(baton(['run', 'failing.yaml'], { cwd: dir }).status).toBe(1);
    const once = baton(['monitor', '--once'], { cwd: dir });
    expect(once.status).toBe(0);
    expect(once.stdout).toMatch(/failed 1h 1 24h 1/);
    expect(once.stdout).toMatch(/RECENTLY ENDED\n\s+\w{10}\s+failing\s+failed .*boom EXEC_EXIT_CODE: command exited with code 3/);
    expect(once.stdout).not.toContain('\x1b');
    const json = JSON.parse(baton(['monitor', '--json'], { cwd: dir }).stdout) as { counts: Record<string, unknown>; recent: Array<{ status: string; failed_task?: { id: string } }> };
    expect(json.counts).toMatchObject({ running: 0, failed_1h: 1, failed_24h: 1, workers: 0, queue: { ready: 0, claimed: 0 } });
    expect(json.recent[0]).toMatchObject({ status: 'failed', failed_task: { id: 'boom' } });
    const live = baton(['monitor'], { cwd: dir });
    expect(live.status).toBe(2);
    expect(live.stderr).toContain('CLI_NOT_A_TERMINAL');
    expect(live.stderr).toContain('baton monitor --once');
    expect(baton(['monitor', '--refresh', '50'], { cwd: dir }).stderr).toContain('--refresh must be at least 100');
  });
});

describe('baton monitor --server', () => {
  it("shows the server's runs with a token, cancels one through it, and says what a missing token needs", async () => {
    const dir = project();
    // A second namespace, to see that the overview is the caller's namespace's.
    mkdirSync(path.join(dir, 'acme'));
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: { workflows: acme }\n');
    const acme = (JSON.parse(baton(['token', 'create', '--role', 'viewer', '--namespace', 'acme', '--json'], { cwd: dir }).stdout) as { token: string }).token;
    const made = baton(['token', 'create', '--role', 'operator', '--json'], { cwd: dir });
    expect(made.status).toBe(0);
    const token = (JSON.parse(made.stdout) as { token: string }).token;
    const server = await serve(dir);
    const started = await fetch(`${server.base}/api/workflows/slow-flow/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(started.status).toBe(201);
    const runId = ((await started.json()) as { run_id: string }).run_id;

    const refused = baton(['monitor', '--once', '--server', server.base], { cwd: dir, env: { BATON_TOKEN: '' } });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(`baton login ${server.base}`);

    const t = monitor(dir, ['--server', server.base], { BATON_TOKEN: token });
    let screen = await t.waitFor((s) => /shards\[c\].*\d+%/.test(s), "the server's run with its progress");
    expect(screen).toContain(`server ${server.base}`);
    expect(selectedRow(screen)).toContain(`${runId.slice(0, 10)}  slow-flow`);
    const overview = async (token: string) => (await (await fetch(`${server.base}/api/overview`, { headers: { authorization: `Bearer ${token}` } })).json()) as { counts: { running: number }; active: Array<{ run_id: string }> };
    expect((await overview(token)).active.map((run) => run.run_id)).toEqual([runId]);
    expect(await overview(acme)).toMatchObject({ counts: { running: 0, failed_24h: 0 }, active: [], recent: [] });
    t.keys('Enter');
    screen = await t.waitFor(new RegExp(`RUN ${runId}\\s+slow-flow\\s+running`), "the run's page");
    expect(screen).toMatch(/shards\[c\]\s+running/);
    t.keys('c');
    await t.waitFor('? y/n', 'the question');
    t.keys('y');
    await t.waitFor(`to cancel run ${runId}`, 'the cancel asked');
    const env = { BATON_TOKEN: token };
    await until(() => baton(['status', runId, '--json', '--server', server.base], { cwd: dir, env }).stdout.includes('"status": "cancelled"'), 30_000, 'the run to be cancelled');
    await t.waitFor(new RegExp(`RUN ${runId}\\s+slow-flow\\s+cancelled`), 'the run shown cancelled');
    await quit(t);
  }, 120_000);
});
