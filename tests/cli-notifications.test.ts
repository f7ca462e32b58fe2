/**
 * Notifications and alerts of runs' ends, end to end: real `baton run` processes against a
 * SQLite store, Slack and webhook channels answered by an HTTP server in this test process
 * (which checks the exact payloads), and the outbox read back with `baton notifications`.
 * Covers: on_failure from baton.config.yaml's defaults, alerts (status, metrics, expected
 * duration) grouped per window, a 503 tried again within `baton run`, a 400 given up and
 * reported, and a channel down during the run sent later by `baton notifications send` and
 * by `baton serve`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';
import { httpReceiver } from './http-receiver.js';

const receiver = httpReceiver();

const FAILING = `name: nightly
tasks:
  - id: build
    command: echo building
  - id: test
    depends_on: [build]
    command: echo "3 tests failed" >&2; exit 3
`;

function project(workflow: string, config: string): string {
  const dir = tempDir('baton-notices-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), `store: .baton/baton.db\n${config}`);
  writeFileSync(path.join(dir, 'flow.yaml'), workflow);
  return dir;
}

const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) => batonAsync(args, { cwd: dir, env }).done;
const outbox = (dir: string, ...args: string[]) => JSON.parse(baton(['notifications', '--json', ...args], { cwd: dir }).stdout) as { notifications: Array<Record<string, unknown> & { notice: Record<string, unknown> }> };
/** What came to `route`, bodies read as JSON. */
const to = (route: string) => receiver.deliveries.filter((d) => d.path === route).map((d) => ({ ...d, body: JSON.parse(d.body) as Record<string, unknown> }));

describe('notifications of runs and alerts', () => {
  it("a failed run tells the defaults' Slack channel once, with the facts in blocks and a link to the run", async () => {
    const dir = project(FAILING, `server: {public_url: "https://baton.example.com/"}
notifications:
  channels:
    team: {type: slack, url_env: TEAM_SLACK}
  defaults: {channels: [team], on_failure: true}
`);
    const result = await run(dir, ['run', 'flow.yaml'], { TEAM_SLACK: `${receiver.base}/slack` });
    expect(result.status).toBe(1);
    expect(to('/slack')).toHaveLength(1);
    const body = to('/slack')[0].body;
    const runId = /run ([0-9A-Z]{26})/i.exec(result.stdout + result.stderr)?.[1] ?? (outbox(dir).notifications[0].run_id as string);
    expect(String(body.text)).toContain('nightly failed');
    const blocks = JSON.stringify(body.blocks);
    expect(blocks).toContain('test');
    expect(blocks).toContain('exit');
    expect(blocks).toContain('3 tests failed');
    expect(blocks).toContain(`https://baton.example.com/runs/${runId}`);
    const [item] = outbox(dir).notifications;
    expect(item).toMatchObject({ channel: 'team', state: 'sent', attempts: 1, run_id: runId });
    // A success tells nothing: on_success is off.
    writeFileSync(path.join(dir, 'ok.yaml'), 'name: nightly\ntasks:\n  - {id: a, command: "true"}\n');
    expect((await run(dir, ['run', 'ok.yaml'], { TEAM_SLACK: `${receiver.base}/slack` })).status).toBe(0);
    expect(to('/slack')).toHaveLength(1);
  });

  it('alerts: the status alert once per window (repeats counted), metrics.success_rate and the expected duration, each with its template', async () => {
    const dir = project(
      `${FAILING.replace('echo building', 'sleep 0.3')}expected_duration: 50ms
alerts:
  - name: nightly-failed
    condition: "execution.status === 'failed'"
    channels: [hook]
    template: "Workflow \${ workflow.name } failed: \${ error.message }"
  - name: low-success
    condition: metrics.success_rate < 60
    channels: [hook]
    window: 1s
    template: "success rate \${ metrics.success_rate }% over \${ metrics.runs } runs"
`,
      `notifications:
  channels:
    hook: {url: "${receiver.base}/hook"}
alerts:
  - {name: slow, condition: "execution.duration > workflow.expected_duration * 2", channels: [hook]}
`,
    );
    expect((await run(dir, ['run', 'flow.yaml'])).status).toBe(1);
    const first = to('/hook').map((d) => d.body);
    expect(first.map((b) => b.alert).sort()).toEqual(['low-success', 'nightly-failed', 'slow']);
    expect(first.find((b) => b.alert === 'nightly-failed')?.text).toBe('Workflow nightly failed: command exited with code 3');
    expect(first.find((b) => b.alert === 'low-success')?.text).toBe('success rate 0% over 1 runs');
    expect(String(first.find((b) => b.alert === 'slow')?.text)).toContain('held for run');
    // Within the hour the status and slow alerts are not sent again; the 1 s window of low-success has passed.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    receiver.deliveries.length = 0;
    expect((await run(dir, ['run', 'flow.yaml'])).status).toBe(1);
    expect(to('/hook').map((d) => d.body.alert)).toEqual(['low-success']);
    expect(to('/hook')[0].body.text).toBe('success rate 0% over 2 runs');
    const items = outbox(dir).notifications;
    expect(items.find((n) => n.notice.alert === 'nightly-failed')).toMatchObject({ state: 'sent', repeats: 1 });
    expect(items.find((n) => n.notice.alert === 'slow')).toMatchObject({ state: 'sent', repeats: 1 });
  });

  it('a 503 is tried again before baton run exits, with the same delivery id; a 400 is given up and reported', async () => {
    const dir = project(FAILING, `notifications:
  channels:
    flaky: {url: "${receiver.base}/flaky"}
    broken: {url: "${receiver.base}/broken"}
  defaults: {channels: [flaky, broken]}
`);
    receiver.answer([503], '/flaky');
    receiver.answer([400], '/broken');
    const result = await run(dir, ['run', 'flow.yaml']);
    expect(result.status).toBe(1);
    expect(to('/flaky')).toHaveLength(2);
    expect(to('/flaky')[0].headers['x-baton-delivery']).toBe(to('/flaky')[1].headers['x-baton-delivery']);
    expect(to('/broken')).toHaveLength(1);
    expect(result.stderr).toMatch(/notification to channel broken given up after 1 attempt \(HTTP_STATUS\)/);
    const items = outbox(dir).notifications;
    expect(items.find((n) => n.channel === 'flaky')).toMatchObject({ state: 'sent', attempts: 2 });
    expect(items.find((n) => n.channel === 'broken')).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'HTTP_STATUS' } });
    const listed = baton(['notifications', '--failed'], { cwd: dir });
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('channel broken: 1 notification given up');
  });

  it('a channel down during the run: left in the store, sent later by `baton notifications send`, and by `baton serve`', async () => {
    const dir = project(FAILING, `notifications:
  channels:
    later: {url_env: LATER_URL}
  defaults: {channels: [later]}
  wait: 0s
`);
    // Nothing listens there: connection refused, which is worth trying again.
    const result = await run(dir, ['run', 'flow.yaml'], { LATER_URL: 'http://127.0.0.1:9/down' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/1 notification of run \w+ could not be sent yet .*baton notifications send/);
    expect(outbox(dir).notifications[0]).toMatchObject({ state: 'pending', channel: 'later' });
    // The channel is back (its URL fixed in this environment), and the back-off has passed.
    const due = outbox(dir).notifications[0].next_at as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() + 50)));
    // Started without waiting: this process answers its requests.
    const sent = await run(dir, ['notifications', 'send', '--json'], { LATER_URL: `${receiver.base}/later` });
    expect(JSON.parse(sent.stdout)).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(to('/later')).toHaveLength(1);
    expect((await run(dir, ['notifications', 'send', '--json'], { LATER_URL: `${receiver.base}/later` })).stdout).toContain('"sent":0');

    // Another run's notice, left behind, is sent by a server of the store.
    expect((await run(dir, ['run', 'flow.yaml'], { LATER_URL: 'http://127.0.0.1:9/down' })).status).toBe(1);
    const serve = batonAsync(['serve', '--port', '0'], { cwd: dir, env: { LATER_URL: `${receiver.base}/later` } });
    try {
      await until(() => to('/later').length === 2, 30_000, 'baton serve to send the notice left behind');
    } finally {
      serve.child.kill('SIGTERM');
      await serve.done;
    }
    expect(outbox(dir).notifications.every((n) => n.state === 'sent')).toBe(true);
  }, 60_000);

  it('bad rules are refused before anything runs, with where they are', () => {
    const dir = project(
      `name: x
alerts:
  - {name: a, condition: "execution.status = 'failed'", channels: [nope]}
  - {name: b, condition: "nothing.here > 1"}
  - {name: c, condition: "true", window: soon}
tasks:
  - {id: t, command: "true"}
`,
      'notifications:\n  channels:\n    ops: {url: "https://hooks.example.com/x"}\n',
    );
    const result = baton(['validate', 'flow.yaml'], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/flow\.yaml:3:\d+.*condition of alert 'a'/);
    expect(result.stderr + result.stdout).toMatch(/no notification channel 'nope'/);
    expect(result.stderr + result.stdout).toMatch(/flow\.yaml:4:\d+.*condition of alert 'b'.*An alert reads: execution, workflow, metrics/);
    expect(result.stderr + result.stdout).toMatch(/flow\.yaml:5:\d+.*SPEC_DURATION/);
  });
});
