import { describe, expect, it } from 'vitest';
import type { WebhookChannel } from '../../spec/notify-channels.js';
import { verifyDelivery } from '../../triggers/webhook.js';
import { sendNotice } from './send.js';
import { closedPort, failedRun, receiver, rejection, secretFiles } from './test-support.js';

const hook = receiver();
const never = new AbortController().signal;
const channel = (extra: Partial<WebhookChannel>): WebhookChannel => ({ type: 'webhook', headers: {}, ...extra });

describe('a webhook channel', () => {
  it('POSTs the notice as JSON with the channel, the delivery id, and its headers', async () => {
    const sent = await sendNotice('ops', channel({ url_env: 'OPS_URL', headers: { 'X-Team': 'sre' } }), failedRun(), { OPS_URL: `${hook.base()}/ok/T0K3N` }, never);
    expect(sent).toEqual({ status: 200, detail: `POST ${hook.base()}/… -> 200` });
    const { headers, body } = hook.last();
    expect(JSON.parse(body)).toEqual({ ...failedRun(), channel: 'ops' });
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-baton-delivery']).toBe('01JRUNFAILED/run-end/ops');
    expect(headers['x-team']).toBe('sre');
    expect(headers['x-baton-signature']).toBeUndefined();
  });

  it("signs the body as baton's webhook triggers check it, with a key from a variable or from a file", async () => {
    await sendNotice('ops', channel({ url: `${hook.base()}/ok/T0K3N`, secret_env: 'OPS_KEY' }), failedRun(), { OPS_KEY: 'k3y' }, never);
    const signed = { headers: hook.last().headers as Record<string, string>, body: Buffer.from(hook.last().body) };
    expect(verifyDelivery(signed, 'k3y')).toMatchObject({ delivery: expect.stringMatching(/^sha256=/), payload: { title: 'deploy failed', channel: 'ops' } });
    expect(() => verifyDelivery(signed, 'other')).toThrow(/does not match/);

    // A file's value is trimmed (a mounted secret ends with a newline).
    const files = secretFiles({ key: 'file-k3y\n', url: `${hook.base()}/ok/T0K3N\n` });
    await sendNotice('ops', channel({ url_file: files.url, secret_file: files.key }), failedRun(), {}, never);
    const fromFile = { headers: hook.last().headers as Record<string, string>, body: Buffer.from(hook.last().body) };
    expect(() => verifyDelivery(fromFile, 'file-k3y')).not.toThrow();
  });

  it('a notify task\'s notice keeps the body notify tasks always sent', async () => {
    const task = { kind: 'task' as const, title: 'done', text: 'done', delivery: 'R/tell', run_id: 'R', workflow: 'w', task: 'tell', attempt: 2, at: 1 };
    await sendNotice('ops', channel({ url: `${hook.base()}/ok/T0K3N` }), task, {}, never);
    expect(JSON.parse(hook.last().body)).toEqual({ text: 'done', run_id: 'R', workflow: 'w', task: 'tell', attempt: 2, channel: 'ops' });
  });

  it('500 and 429 are retryable, 400 and 404 are not, a refused connection is; the URL is shown by its origin', async () => {
    const send = (url: string) => rejection(sendNotice('ops', channel({ url_env: 'U' }), failedRun(), { U: url }, never));
    for (const [where, retryable] of [['fail', true], ['slow', true], ['bad', false], ['gone', false]] as const) {
      const err = await send(`${hook.base()}/${where}/T0K3N`);
      expect(err, where).toMatchObject({ code: 'HTTP_STATUS', retryable });
      expect(err.message).not.toContain('T0K3N');
    }
    const refused = await send(`http://127.0.0.1:${await closedPort()}/hook/T0K3N`);
    expect(refused).toMatchObject({ code: 'HTTP_NETWORK', retryable: true });
    expect(refused.message).toMatch(/ECONNREFUSED/);
    expect(refused.message).not.toContain('T0K3N');
  });

  it('a variable not set, a file missing or empty, a URL that is not one: not retryable, nothing sent, no secret shown', async () => {
    const count = hook.received.length;
    expect(await rejection(sendNotice('ops', channel({ url_env: 'NOT_SET' }), failedRun(), {}, never))).toMatchObject({
      code: 'NOTIFY_ENV_UNSET',
      retryable: false,
      message: 'channel ops takes its URL from the environment variable NOT_SET, which is not set here',
    });
    expect(await rejection(sendNotice('ops', channel({ url_file: '/no/such/file' }), failedRun(), {}, never))).toMatchObject({
      code: 'NOTIFY_SECRET_FILE',
      retryable: false,
      message: 'channel ops takes its URL from the file /no/such/file, which cannot be read here: it does not exist',
    });
    const files = secretFiles({ empty: ' \n' });
    expect(await rejection(sendNotice('ops', channel({ url: `${hook.base()}/ok/T0K3N`, secret_file: files.empty }), failedRun(), {}, never))).toMatchObject({
      code: 'NOTIFY_SECRET_FILE',
      message: `channel ops takes its signing key from the file ${files.empty}, which is empty: write the value in it`,
    });
    const bad = await rejection(sendNotice('ops', channel({ url_env: 'U' }), failedRun(), { U: 'hooks.example.com/T0K3N' }, never));
    expect(bad).toMatchObject({ code: 'NOTIFY_BAD_URL', retryable: false });
    expect(bad.message).toBe('channel ops: the URL in the environment variable U is not an http:// or https:// URL; check what it holds');
    expect(hook.received.length).toBe(count);
  });

  it('an aborted send is EXEC_ABORTED, retryable only when the abort was a time limit running out', async () => {
    const stop = new AbortController();
    stop.abort(new Error('cancelled'));
    const err = await rejection(sendNotice('ops', channel({ url: `${hook.base()}/ok/T0K3N` }), failedRun(), {}, stop.signal));
    expect(err).toMatchObject({ code: 'EXEC_ABORTED', retryable: false });
    expect(err.message).toBe(`POST ${hook.base()}/… was stopped: cancelled`);
    // A time limit of the caller's (AbortSignal.timeout) that runs out: the channel was slow, which may pass.
    const slow = await rejection(sendNotice('ops', channel({ url: `${hook.base()}/hang/T0K3N` }), failedRun(), {}, AbortSignal.timeout(200)));
    expect(slow).toMatchObject({ code: 'EXEC_ABORTED', retryable: true });
    expect(slow.message).not.toContain('T0K3N');
  });
});
