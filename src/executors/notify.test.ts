import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NotifyTask } from '../spec/model.js';
import { taskDefaults } from '../spec/task-defaults.js';
import { verifyDelivery } from '../triggers/webhook.js';
import { ExecutorError } from './errors.js';
import { notify } from './notify.js';
import { rejection, routeServer, testIO, type Route } from './test-support.js';

/** What the server received, by path. */
const received: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
const keep: Route = (req, res, body) => {
  received.push({ path: req.url ?? '', headers: req.headers, body });
  res.statusCode = req.url?.includes('fail') ? 503 : req.url?.includes('gone') ? 404 : 204;
  res.end();
};
const server = routeServer({ '/hook/T0K3N': keep, '/fail/T0K3N': keep, '/gone': keep, '/': keep });

function task(extra: Partial<NotifyTask>): NotifyTask {
  return { id: 'tell', explicit_id: true, type: 'notify', headers: {}, message: 'deploy 1.4.2 done', ...taskDefaults(), ...extra };
}

const last = () => received.at(-1)!;

describe('notify: a webhook', () => {
  it('POSTs the message as JSON with the run, workflow, task and attempt, and a delivery id stable across attempts', async () => {
    const io = testIO({ workflow: 'deploy', attempt: 2 });
    const result = await notify.run(task({ url: `${server.base()}/hook/T0K3N`, headers: { 'X-Team': 'sre' } }), io, new AbortController().signal);
    expect(result.outputs).toEqual({ status: 204, delivery: '01JTESTRUN/task-a' });
    const { headers, body } = last();
    expect(JSON.parse(body)).toEqual({ text: 'deploy 1.4.2 done', run_id: '01JTESTRUN', workflow: 'deploy', task: 'task-a', attempt: 2 });
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-baton-delivery']).toBe('01JTESTRUN/task-a');
    expect(headers['x-team']).toBe('sre');
    // Unsigned without a key.
    expect(headers['x-baton-signature']).toBeUndefined();
    // The path (a token, often) is not shown.
    expect(io.err.join('')).toMatch(new RegExp(`^POST ${server.base()}/… -> 204 \\(\\d+ ms\\)\\n$`));
    expect(io.err.join('')).not.toContain('T0K3N');
  });

  it("signs `<timestamp>.<body>` with HMAC-SHA256 of the key, as baton's webhook triggers check it", async () => {
    const before = Math.floor(Date.now() / 1000);
    await notify.run(task({ url: `${server.base()}/hook/T0K3N`, secret_env: 'HOOK_KEY' }), testIO({ env: { HOOK_KEY: 'k3y' } }), new AbortController().signal);
    const { headers, body } = last();
    const stamp = Number(headers['x-baton-timestamp']);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(headers['x-baton-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const delivery = { headers: headers as Record<string, string>, body: Buffer.from(body) };
    expect(verifyDelivery({ ...delivery, headers: { ...delivery.headers, 'content-type': 'application/json' } }, 'k3y').payload).toMatchObject({ text: 'deploy 1.4.2 done' });
    // Another key, or a changed body, does not verify.
    expect(() => verifyDelivery(delivery, 'other')).toThrow(/X-Baton-Signature does not match/);
    expect(() => verifyDelivery({ ...delivery, body: Buffer.from(body.replace('1.4.2', '1.4.3')) }, 'k3y')).toThrow(/does not match/);
  });

  it('a key given as a secret (already rendered) signs the same way', async () => {
    await notify.run(task({ url: `${server.base()}/hook/T0K3N`, secret: 'from-a-secret' }), testIO(), new AbortController().signal);
    const { headers, body } = last();
    expect(() => verifyDelivery({ headers: headers as Record<string, string>, body: Buffer.from(body) }, 'from-a-secret')).not.toThrow();
  });

  it('a 5xx is a retryable HTTP_STATUS, a 404 is not retried', async () => {
    const failed = await rejection(notify.run(task({ url: `${server.base()}/fail/T0K3N` }), testIO(), new AbortController().signal));
    expect(failed).toBeInstanceOf(ExecutorError);
    expect(failed).toMatchObject({ code: 'HTTP_STATUS', retryable: true });
    expect(failed.message).not.toContain('T0K3N');
    expect(await rejection(notify.run(task({ url: `${server.base()}/gone` }), testIO(), new AbortController().signal))).toMatchObject({ code: 'HTTP_STATUS', retryable: false });
  });

  it('a signing key from a variable that is not set: NOTIFY_ENV_UNSET, nothing sent', async () => {
    const count = received.length;
    const err = await rejection(notify.run(task({ url: `${server.base()}/hook/T0K3N`, secret_env: 'NOT_SET_HERE' }), testIO({ env: {} }), new AbortController().signal));
    expect(err).toMatchObject({ code: 'NOTIFY_ENV_UNSET', retryable: false, message: 'task task-a takes its signing key from the environment variable NOT_SET_HERE, which is not set here' });
    expect(received.length).toBe(count);
  });
});

describe('notify: a named channel', () => {
  it("sends to the channel's URL from its variable, signed with its key, and says which channel", async () => {
    const channels = { ops: { type: 'webhook' as const, url_env: 'OPS_URL', secret_env: 'OPS_KEY', headers: { 'X-From': 'baton' } } };
    const io = testIO({ channels, env: { OPS_URL: `${server.base()}/hook/T0K3N`, OPS_KEY: 'ops-key' } });
    const result = await notify.run(task({ channel: 'ops' }), io, new AbortController().signal);
    expect(result.outputs).toEqual({ status: 204, delivery: '01JTESTRUN/task-a', channel: 'ops' });
    const { headers, body } = last();
    expect(JSON.parse(body)).toMatchObject({ text: 'deploy 1.4.2 done', channel: 'ops' });
    expect(headers['x-from']).toBe('baton');
    expect(() => verifyDelivery({ headers: headers as Record<string, string>, body: Buffer.from(body) }, 'ops-key')).not.toThrow();
  });

  it('a channel not configured, or whose URL variable is not set', async () => {
    const unknown = await rejection(notify.run(task({ channel: 'dev' }), testIO({ channels: { ops: { type: 'webhook', url: server.base(), headers: {} } } }), new AbortController().signal));
    expect(unknown).toMatchObject({ code: 'NOTIFY_UNKNOWN_CHANNEL', retryable: false, message: 'task task-a notifies channel dev, which baton.config.yaml does not define (it has: ops)' });
    const unset = await rejection(notify.run(task({ channel: 'ops' }), testIO({ channels: { ops: { type: 'webhook', url_env: 'OPS_URL', headers: {} } }, env: {} }), new AbortController().signal));
    expect(unset).toMatchObject({ code: 'NOTIFY_ENV_UNSET', message: 'channel ops takes its URL from the environment variable OPS_URL, which is not set here' });
  });
});

describe('notify: channels of every kind', () => {
  it("a Slack channel gets the task's message as Block Kit, its first line the header", async () => {
    const channels = { team: { type: 'slack' as const, url_env: 'SLACK_WEBHOOK_URL' } };
    const io = testIO({ channels, workflow: 'deploy', env: { SLACK_WEBHOOK_URL: `${server.base()}/hook/T0K3N` } });
    const result = await notify.run(task({ channel: 'team', message: 'deploy 1.4.2 done\nall 3 regions' }), io, new AbortController().signal);
    expect(result.outputs).toEqual({ status: 204, delivery: '01JTESTRUN/task-a', channel: 'team' });
    const payload = JSON.parse(last().body);
    expect(payload.text).toBe('deploy 1.4.2 done\nall 3 regions');
    expect(payload.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'deploy 1.4.2 done', emoji: true } });
    expect(payload.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'deploy 1.4.2 done\nall 3 regions' } });
    expect(payload.blocks[2].fields).toEqual([
      { type: 'mrkdwn', text: '*Workflow*\ndeploy' },
      { type: 'mrkdwn', text: '*Run*\n`01JTESTRUN`' },
      { type: 'mrkdwn', text: '*Task*\n`task-a`' },
    ]);
    expect(last().headers['x-baton-delivery']).toBe('01JTESTRUN/task-a');
    expect(io.err.join('')).not.toContain('T0K3N');
  });

  it('a command channel runs in the folder of the workflow when it names none, the message on its stdin', async () => {
    const channels = { log: { type: 'command' as const, command: ['sh', '-c', 'cat > notice.json'], timeout_ms: 10_000 } };
    const io = testIO({ channels });
    const result = await notify.run(task({ channel: 'log' }), io, new AbortController().signal);
    expect(result.outputs).toEqual({ status: 0, delivery: '01JTESTRUN/task-a', channel: 'log' });
    const notice = JSON.parse(readFileSync(join(io.baseDir, 'notice.json'), 'utf8'));
    expect(notice).toMatchObject({ kind: 'task', title: 'deploy 1.4.2 done', text: 'deploy 1.4.2 done', delivery: '01JTESTRUN/task-a', run_id: '01JTESTRUN', task: 'task-a', attempt: 1, channel: 'log' });
    const failing = { log: { type: 'command' as const, command: ['sh', '-c', 'exit 2'], timeout_ms: 10_000 } };
    expect(await rejection(notify.run(task({ channel: 'log' }), testIO({ channels: failing }), new AbortController().signal))).toMatchObject({ code: 'NOTIFY_COMMAND_EXIT', retryable: false });
  });
});
