/**
 * notify tasks end to end: `baton run` (a real process) sends to an HTTP server in this
 * test process, which checks the exact payload and the signature with baton's own webhook
 * verifier; a 503 is retried as the task's retry policy says, with the same delivery id;
 * Slack, command and email channels (an SMTP server in this process) get theirs from the
 * built CLI; bad input is refused before anything runs.
 */
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyDelivery } from '../src/triggers/webhook.js';
import { batonAsync, ROOT, tempDir } from './helpers.js';
import { httpReceiver, type Delivery } from './http-receiver.js';

const receiver = httpReceiver();
const deliveries = receiver.deliveries;

function project(workflow: string, config = 'store: .baton/baton.db\n'): string {
  const dir = tempDir('baton-notify-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), config);
  writeFileSync(path.join(dir, 'flow.yaml'), workflow);
  return dir;
}

/** The CLI runs as a child process while this process serves its requests. */
const run = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) => batonAsync(args, { cwd: dir, env }).done;

const signedBy = (d: Delivery, key: string) => verifyDelivery({ headers: d.headers as Record<string, string>, body: Buffer.from(d.body) }, key);

describe('notify', () => {
  it('a channel of baton.config.yaml: the exact JSON, signed with the key from its variable; a 503 retried with the same delivery id', async () => {
    const dir = project(
      `name: release
tasks:
  - id: deploy
    command: echo "version=1.4.2" >> "$BATON_OUTPUT"
  - id: tell
    depends_on: [deploy]
    notify: ops
    message: "\${ workflow.name } \${ tasks.deploy.outputs.version }: \${ tasks.deploy.status }"
    retry: { attempts: 2, delay: 10ms }
`,
      'store: .baton/baton.db\nnotifications:\n  channels:\n    ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY, headers: {X-Team: sre}}\n',
    );
    receiver.answer([503]);
    const r = await run(dir, ['run', 'flow.yaml', '--json'], { OPS_HOOK_URL: `${receiver.base}/hooks/T0K3N`, OPS_HOOK_KEY: 'ops-k3y' });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { run_id: string; tasks: Array<{ id: string; attempts: number; outputs?: Record<string, unknown> }> };
    const tell = summary.tasks.find((t) => t.id === 'tell')!;
    expect(tell).toMatchObject({ attempts: 2, outputs: { status: 200, delivery: `${summary.run_id}/tell`, channel: 'ops' } });
    expect(deliveries).toHaveLength(2);
    deliveries.forEach((d, i) => {
      expect(d.path).toBe('/hooks/T0K3N');
      expect(JSON.parse(d.body)).toEqual({ text: 'release 1.4.2: succeeded', run_id: summary.run_id, workflow: 'release', task: 'tell', attempt: i + 1, channel: 'ops' });
      expect(d.headers['x-baton-delivery']).toBe(`${summary.run_id}/tell`);
      expect(d.headers['x-team']).toBe('sre');
      expect(signedBy(d, 'ops-k3y').payload).toEqual(JSON.parse(d.body));
      expect(() => signedBy(d, 'another-key')).toThrow(/does not match/);
    });
    // The token in the URL's path is not in the task's log.
    const logs = await run(dir, ['logs', summary.run_id, 'tell']);
    expect(logs.stdout).toContain(`POST ${receiver.base}/… -> 503`);
    expect(logs.stdout).not.toContain('T0K3N');
  }, 30_000);

  it('a Slack channel (URL from SLACK_WEBHOOK_URL) and a command channel (the notice on stdin) from baton run', async () => {
    const dir = project(
      `name: release
tasks:
  - id: deploy
    command: echo "version=1.4.2" >> "$BATON_OUTPUT"
  - id: tell-team
    depends_on: [deploy]
    notify: team
    message: "\${ workflow.name } \${ tasks.deploy.outputs.version } <is live>"
  - id: log
    depends_on: [deploy]
    notify: log
    message: "released \${ tasks.deploy.outputs.version }"
`,
      'store: .baton/baton.db\nnotifications:\n  channels:\n    team: {type: slack, username: baton}\n    log: {type: command, command: "cat > notice.json; printf %s \\"$BATON_NOTICE_DELIVERY\\" > delivery.txt"}\n',
    );
    const r = await run(dir, ['run', 'flow.yaml', '--json'], { SLACK_WEBHOOK_URL: `${receiver.base}/services/T0K3N` });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { run_id: string; tasks: Array<{ id: string; outputs?: Record<string, unknown> }> };
    expect(summary.tasks.find((t) => t.id === 'tell-team')!.outputs).toEqual({ status: 200, delivery: `${summary.run_id}/tell-team`, channel: 'team' });
    expect(summary.tasks.find((t) => t.id === 'log')!.outputs).toEqual({ status: 0, delivery: `${summary.run_id}/log`, channel: 'log' });
    expect(deliveries).toHaveLength(1);
    const slack = JSON.parse(deliveries[0].body);
    expect(deliveries[0].path).toBe('/services/T0K3N');
    expect(slack).toMatchObject({ username: 'baton', text: 'release 1.4.2 &lt;is live&gt;' });
    expect(slack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'release 1.4.2 <is live>', emoji: true } });
    expect(slack.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'release 1.4.2 &lt;is live&gt;' } });
    expect(JSON.parse(readFileSync(path.join(dir, 'notice.json'), 'utf8'))).toMatchObject({ kind: 'task', text: 'released 1.4.2', run_id: summary.run_id, workflow: 'release', task: 'log', channel: 'log' });
    expect(readFileSync(path.join(dir, 'delivery.txt'), 'utf8')).toBe(`${summary.run_id}/log`);
  }, 30_000);

  it('an email channel from baton run: nodemailer loaded by the built CLI, the message received by an SMTP server here', async () => {
    const mails: ParsedMail[] = [];
    const smtp = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => (auth.password === 'smtp-pa55' ? callback(null, { user: auth.username }) : callback(new Error('Authentication failed'))),
      onData: (stream, _session, callback) => void simpleParser(stream).then((mail) => (mails.push(mail), callback())),
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    try {
      const port = (smtp.server.address() as AddressInfo).port;
      const dir = project(
        'name: release\ntasks:\n  - id: mail\n    notify: oncall\n    message: "release 1.4.2 is live"\n',
        `store: .baton/baton.db\nnotifications:\n  channels:\n    oncall: {type: email, to: [oncall@example.com], from: baton@example.com, url_env: SMTP_URL}\n`,
      );
      const r = await run(dir, ['run', 'flow.yaml', '--json'], { SMTP_URL: `smtp://baton:smtp-pa55@127.0.0.1:${port}` });
      expect(r.status, r.stderr).toBe(0);
      const runId = (JSON.parse(r.stdout) as { run_id: string }).run_id;
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ subject: 'release 1.4.2 is live', messageId: `<${runId}/mail.oncall@example.com>` });
      expect(mails[0].text).toContain('release 1.4.2 is live');
      const logs = await run(dir, ['logs', runId, 'mail']);
      expect(logs.stdout + logs.stderr).toContain(`SMTP 127.0.0.1:${port} -> 250`);
      expect(logs.stdout + logs.stderr).not.toContain('smtp-pa55');
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  }, 30_000);

  it('a webhook on the task, its key a secret: signed, and the key masked', async () => {
    const dir = project(`name: hooked
secrets: [HOOK_KEY]
tasks:
  - id: tell
    notify: { url: "${receiver.base}/inline", secret: "\${ secrets.HOOK_KEY }" }
    message: "from \${ run.id }"
`);
    const r = await run(dir, ['run', 'flow.yaml', '--json'], { HOOK_KEY: 'inline-secret-key' });
    expect(r.status, r.stderr).toBe(0);
    const runId = (JSON.parse(r.stdout) as { run_id: string }).run_id;
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0].body)).toEqual({ text: `from ${runId}`, run_id: runId, workflow: 'hooked', task: 'tell', attempt: 1 });
    expect(() => signedBy(deliveries[0], 'inline-secret-key')).not.toThrow();
    // Nothing recorded holds the key.
    for (const args of [['status', runId, '--json'], ['logs', runId], ['export', runId]]) expect((await run(dir, args)).stdout).not.toContain('inline-secret-key');
  }, 30_000);

  it('examples/release.yaml: the child run\'s output reaches the message', async () => {
    const dir = tempDir('baton-notify-example-');
    writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
    const example = path.join(ROOT, 'examples', 'release.yaml');
    const r = await run(dir, ['run', example, '--json', '-i', 'release=1.4.3', '-i', `hook=${receiver.base}/hooks/release`]);
    expect(r.status, r.stderr).toBe(0);
    expect(deliveries.map((d) => [d.path, JSON.parse(d.body).text])).toEqual([['/hooks/release', 'release 1.4.3 is live at https://staging.example.com/v1.4.3']]);
  }, 30_000);

  it('without a channel or url, an unknown channel, a key in clear: errors with line:col, nothing sent', async () => {
    const dir = project(
      `name: bad
tasks:
  - id: a
    type: notify
    message: hi
  - id: b
    notify: opps
    message: hi
  - id: c
    notify: { url: "${receiver.base}/x", secret: hunter2 }
    message: hi
`,
      'store: .baton/baton.db\nnotifications:\n  channels:\n    ops: {url: "http://127.0.0.1:9/x"}\n',
    );
    const r = await run(dir, ['run', 'flow.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('flow.yaml:3:5: error SPEC_MISSING_FIELD: a notify task needs `notify`');
    expect(r.stderr).toContain("flow.yaml:7:13: error SPEC_UNKNOWN_CHANNEL: no notification channel 'opps' (did you mean 'ops'?)");
    expect(r.stderr).toMatch(/flow\.yaml:10:\d+: error SPEC_SECRET_IN_CLEAR: the webhook's signing key is written in clear/);
    expect(r.stderr).toContain('nothing ran');
    expect(deliveries).toHaveLength(0);
  }, 30_000);
});
