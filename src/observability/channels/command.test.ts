import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../../executors/test-support.js';
import type { CommandChannel } from '../../spec/notify-channels.js';
import { sendNotice } from './send.js';
import { failedRun, rejection } from './test-support.js';

const never = new AbortController().signal;
const folder = () => mkdtempSync(path.join(tmpdir(), 'baton-command-'));
const command = (argv: string[] | string, extra: Partial<CommandChannel> = {}): CommandChannel => ({
  type: 'command',
  command: typeof argv === 'string' ? ['sh', '-c', argv] : argv,
  timeout_ms: 30_000,
  ...extra,
});

describe('a command channel', () => {
  it('gets the notice as JSON on its stdin and its facts in BATON_NOTICE_*, in its folder', async () => {
    const dir = folder();
    const script = 'cat > notice.json; env | grep ^BATON_NOTICE_ | sort > notice.env; pwd > where';
    const env = { PATH: process.env.PATH, BATON_NOTICE_ALERT: 'stale, from the sender' };
    const sent = await sendNotice('pager', command(['sh', '-c', script], { cwd: dir }), failedRun(), env, never);
    expect(sent).toEqual({ status: 0, detail: 'command sh -> exit 0' });
    expect(JSON.parse(readFileSync(path.join(dir, 'notice.json'), 'utf8'))).toEqual({ ...failedRun(), channel: 'pager' });
    expect(readFileSync(path.join(dir, 'notice.env'), 'utf8').trim().split('\n')).toEqual([
      'BATON_NOTICE_CHANNEL=pager',
      'BATON_NOTICE_DELIVERY=01JRUNFAILED/run-end/ops',
      'BATON_NOTICE_KIND=run',
      'BATON_NOTICE_RUN_ID=01JRUNFAILED',
      'BATON_NOTICE_STATUS=failed',
      'BATON_NOTICE_TITLE=deploy failed',
      'BATON_NOTICE_WORKFLOW=deploy',
    ]);
    expect(readFileSync(path.join(dir, 'where'), 'utf8').trim()).toBe(dir);
  });

  it('a command given as a string reads the notice as data: a title holding shell code is not run', async () => {
    const dir = folder();
    const title = 'x"; touch pwned; echo "$(touch pwned2)`touch pwned3`';
    await sendNotice('pager', command('printf "%s" "$BATON_NOTICE_TITLE" > title.txt', { cwd: dir }), failedRun({ title }), { PATH: process.env.PATH }, never);
    expect(readFileSync(path.join(dir, 'title.txt'), 'utf8')).toBe(title);
    for (const file of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(path.join(dir, file)), file).toBe(false);
  });

  it('exit 2 is never retried, any other exit is, with the end of its stderr in the message', async () => {
    const permanent = await rejection(sendNotice('pager', command('echo "no such pager route" >&2; exit 2'), failedRun(), {}, never));
    expect(permanent).toMatchObject({ code: 'NOTIFY_COMMAND_EXIT', retryable: false, exit_code: 2 });
    expect(permanent.message).toBe('channel pager: command sh exited with code 2: no such pager route (exit 2: the notice cannot be sent; not retried)');
    const later = await rejection(sendNotice('pager', command('echo "pager API down" >&2; exit 1'), failedRun(), {}, never));
    expect(later).toMatchObject({ code: 'NOTIFY_COMMAND_EXIT', retryable: true, exit_code: 1, stderr_tail: 'pager API down' });
  });

  it('past its timeout its whole process group is killed, and the send is retryable', async () => {
    const dir = folder();
    const slow = command('sleep 30 & echo $! > child.pid; wait', { cwd: dir, timeout_ms: 300 });
    const err = await rejection(sendNotice('pager', slow, failedRun(), {}, never));
    expect(err).toMatchObject({ code: 'NOTIFY_COMMAND_TIMEOUT', retryable: true });
    expect(err.message).toBe("channel pager: command sh ran past its timeout of 300 ms and was stopped; raise the channel's timeout or make it faster");
    const child = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
    await waitFor(() => !isAlive(child));
  });

  it('an abort stops it (EXEC_ABORTED); a program that does not exist is EXEC_SPAWN; neither is retried', async () => {
    const dir = folder();
    const stop = new AbortController();
    const sending = rejection(sendNotice('pager', command('touch started; sleep 30', { cwd: dir }), failedRun(), {}, stop.signal));
    try {
      await waitFor(() => existsSync(path.join(dir, 'started')));
    } finally {
      stop.abort(new Error('run cancelled')); // also when the wait failed: nothing is left running
    }
    expect(await sending).toMatchObject({ code: 'EXEC_ABORTED', retryable: false });
    const missing = await rejection(sendNotice('pager', command(['./no-such-pager']), failedRun(), {}, never, { cwd: dir }));
    expect(missing).toMatchObject({ code: 'EXEC_SPAWN', retryable: false });
    expect(missing.message).toBe('channel pager: cannot start "./no-such-pager": program not found; check that it is installed and on PATH');
  });
});
