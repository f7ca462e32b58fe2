import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailChannel } from '../../spec/notify-channels.js';
import { sendNotice } from './send.js';
import { closedPort, failedRun, rejection, secretFiles } from './test-support.js';

const USER = 'baton';
const PASSWORD = 's3cret-pa55';

/** What the server took: the parsed message, who logged in, the envelope. */
const received: Array<{ mail: ParsedMail; user: string | undefined; from: string; to: string[] }> = [];
let server: SMTPServer;
let port = 0;

// A real SMTP server in the test process: logins checked, some recipients refused for good
// (550) or for now (451), every message parsed as a mail client would.
beforeAll(async () => {
  server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      else if (address.address.startsWith('busy@')) callback(Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 451 }));
      else callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const envelope = session.envelope;
          received.push({ mail, user: session.user as string | undefined, from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((r) => r.address) });
          callback(null, 'queued as B4T0N');
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const never = new AbortController().signal;
const mailTo = (extra: Partial<EmailChannel> = {}): EmailChannel => ({
  type: 'email',
  to: ['oncall@example.com', 'Lead <lead@example.com>'],
  from: 'baton <baton@example.com>',
  smtp: { host: '127.0.0.1', port, secure: false, user_env: 'SMTP_USER', password_env: 'SMTP_PASSWORD' },
  ...extra,
});
const credentials = { SMTP_USER: USER, SMTP_PASSWORD: PASSWORD };

describe('an email channel', () => {
  it('sends a text and an HTML part saying the same facts, from and to whom it says, with a Message-ID made from the delivery id', async () => {
    const sent = await sendNotice('oncall', mailTo(), failedRun({ text: 'deploy failed: <script>alert(1)</script> & "more"' }), credentials, never);
    expect(sent.status).toBe(250);
    expect(sent.detail).toBe(`SMTP 127.0.0.1:${port} -> 250 queued as B4T0N`);
    const { mail, user, from, to } = received.at(-1)!;
    expect(user).toBe(USER);
    expect(from).toBe('baton@example.com');
    expect(to).toEqual(['oncall@example.com', 'lead@example.com']);
    expect(mail.subject).toBe('deploy failed');
    expect(mail.from?.value).toEqual([{ name: 'baton', address: 'baton@example.com' }]);
    expect(mail.to).toMatchObject({ value: [{ address: 'oncall@example.com' }, { name: 'Lead', address: 'lead@example.com' }] });
    expect(mail.messageId).toBe('<01JRUNFAILED/run-end/ops.oncall@example.com>');
    expect(mail.headers.get('x-baton-delivery')).toBe('01JRUNFAILED/run-end/ops');
    expect(mail.text).toBe(
      [
        '\u274C deploy failed',
        '',
        'deploy failed: <script>alert(1)</script> & "more"',
        '',
        'Workflow: deploy',
        'Run: 01JRUNFAILED',
        'Status: failed',
        'Duration: 1m 12s',
        'Namespace: default',
        'Failed task: migrate',
        '',
        'Error: exit code 3',
        '',
        'Last lines of its stderr:',
        '    applying 0042_users.sql',
        '    ERROR: relation "users" already exists',
        '',
        'Open the run: https://baton.example.com/runs/01JRUNFAILED',
        '',
        '-- ',
        'baton, 2025-01-02T03:04:05.000Z',
        '',
      ].join('\n'),
    );
    const html = mail.html as string;
    expect(html).toContain('<h2>\u274C deploy failed</h2>');
    expect(html).toContain('deploy failed: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<tr><th align="left">Run</th><td><code>01JRUNFAILED</code></td></tr>');
    expect(html).toContain('<tr><th align="left">Failed task</th><td><code>migrate</code></td></tr>');
    expect(html).toContain('<pre style="background:#f4f4f4;padding:8px">applying 0042_users.sql\nERROR: relation &quot;users&quot; already exists</pre>');
    expect(html).toContain('<a href="https://baton.example.com/runs/01JRUNFAILED">Open the run</a>');
  });

  it('the same notice sent again has the same Message-ID; a subject of its own wins over the title', async () => {
    await sendNotice('oncall', mailTo({ subject: 'baton: a run failed' }), failedRun(), credentials, never);
    await sendNotice('oncall', mailTo({ subject: 'baton: a run failed' }), failedRun(), credentials, never);
    const [first, second] = received.slice(-2).map((r) => r.mail);
    expect(first.subject).toBe('baton: a run failed');
    expect(second.messageId).toBe(first.messageId);
    // A delivery id with characters a Message-ID may not hold.
    await sendNotice('oncall', mailTo(), failedRun({ delivery: 'R/deploy-envs[qa] x' }), credentials, never);
    expect(received.at(-1)!.mail.messageId).toBe('<R/deploy-envs%5Bqa%5D%20x.oncall@example.com>');
  });

  it('the user and password from files, or the whole server from an smtp:// URL in a variable or a file', async () => {
    const files = secretFiles({ user: `${USER}\n`, password: `${PASSWORD}\n`, url: `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}\n` });
    await sendNotice('oncall', mailTo({ smtp: { host: '127.0.0.1', port, user_file: files.user, password_file: files.password } }), failedRun(), {}, never);
    expect(received.at(-1)!.user).toBe(USER);
    await sendNotice('oncall', mailTo({ smtp: undefined, url_env: 'SMTP_URL' }), failedRun(), { SMTP_URL: `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}` }, never);
    expect(received.at(-1)!.user).toBe(USER);
    await sendNotice('oncall', mailTo({ smtp: undefined, url_file: files.url }), failedRun(), {}, never);
    expect(received.at(-1)!.user).toBe(USER);
    // No login at all: the server takes it unauthenticated.
    await sendNotice('oncall', mailTo({ smtp: { host: '127.0.0.1', port } }), failedRun(), {}, never);
    expect(received.at(-1)!.user).toBeUndefined();
  });

  it('a wrong password and an unknown recipient are refused for good (5xx), a busy mailbox for now (4xx); the password is never shown', async () => {
    const wrong = await rejection(sendNotice('oncall', mailTo(), failedRun(), { SMTP_USER: USER, SMTP_PASSWORD: 'wrong-pa55' }, never));
    expect(wrong).toMatchObject({ code: 'NOTIFY_SMTP', retryable: false });
    expect(wrong.message).toMatch(new RegExp(`^channel oncall: the SMTP server 127.0.0.1:${port} refused the login: 535 Authentication failed`));
    const viaUrl = await rejection(sendNotice('oncall', mailTo({ smtp: undefined, url_env: 'U' }), failedRun(), { U: `smtp://${USER}:wrong-pa55@127.0.0.1:${port}` }, never));
    expect(viaUrl).toMatchObject({ code: 'NOTIFY_SMTP', retryable: false });
    for (const err of [wrong, viaUrl]) expect(`${err.message} ${JSON.stringify(err)}`).not.toMatch(/wrong-pa55|s3cret/);

    const nobody = await rejection(sendNotice('oncall', mailTo({ to: ['nobody@example.com'] }), failedRun(), credentials, never));
    expect(nobody).toMatchObject({ code: 'NOTIFY_SMTP', retryable: false });
    expect(nobody.message).toContain('550 5.1.1 No such user here');
    const busy = await rejection(sendNotice('oncall', mailTo({ to: ['busy@example.com'] }), failedRun(), credentials, never));
    expect(busy).toMatchObject({ code: 'NOTIFY_SMTP', retryable: true });
    expect(busy.message).toContain('451 4.2.1 Mailbox busy, try later');
  });

  it('a server that cannot be reached is retryable; a URL that is not smtp:// and a password file missing are not', async () => {
    const closed = await closedPort();
    const refused = await rejection(sendNotice('oncall', mailTo({ smtp: { host: '127.0.0.1', port: closed } }), failedRun(), {}, never));
    expect(refused).toMatchObject({ code: 'NOTIFY_SMTP_NETWORK', retryable: true });
    expect(refused.message).toMatch(new RegExp(`^channel oncall: cannot talk to the SMTP server 127.0.0.1:${closed}: .*ECONNREFUSED`));
    const http = await rejection(sendNotice('oncall', mailTo({ smtp: undefined, url_env: 'U' }), failedRun(), { U: `https://${USER}:${PASSWORD}@mail.example.com` }, never));
    expect(http).toMatchObject({ code: 'NOTIFY_BAD_URL', retryable: false, message: 'channel oncall: the environment variable U is not an smtp:// or smtps:// URL (smtp://user:password@host:587); check what it holds' });
    const missing = await rejection(sendNotice('oncall', mailTo({ smtp: { host: '127.0.0.1', port, user: USER, password_file: '/no/such/secret' } }), failedRun(), {}, never));
    expect(missing).toMatchObject({ code: 'NOTIFY_SECRET_FILE', retryable: false });
  });
});
