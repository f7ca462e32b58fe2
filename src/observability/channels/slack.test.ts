import { describe, expect, it } from 'vitest';
import type { SlackChannel } from '../../spec/notify-channels.js';
import { sendNotice } from './send.js';
import { slackPayload } from './slack.js';
import { failedRun, receiver, rejection } from './test-support.js';

const slack = receiver();
const never = new AbortController().signal;
const team: SlackChannel = { type: 'slack', url_env: 'SLACK_WEBHOOK_URL' };

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<{ type: string; text?: { text: string } | string; url?: string }> };

/** Block Kit's limits (docs.slack.dev/reference/block-kit): what Slack refuses with invalid_blocks. */
function expectWithinSlackLimits(payload: { blocks: Block[] }): void {
  expect(payload.blocks.length).toBeLessThanOrEqual(50);
  for (const block of payload.blocks) {
    if (block.type === 'header') expect(block.text!.text.length).toBeLessThanOrEqual(150);
    if (block.type === 'section' && block.text) expect(block.text.text.length).toBeGreaterThan(0);
    if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
    if (block.fields) {
      expect(block.fields.length).toBeLessThanOrEqual(10);
      for (const field of block.fields) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
    for (const element of block.elements ?? []) if (element.type === 'button') expect((element.text as { text: string }).text.length).toBeLessThanOrEqual(75);
  }
}

describe('a Slack channel', () => {
  it("posts Block Kit blocks to the URL in SLACK_WEBHOOK_URL: the status's emoji, the facts, the error and its tail, a button to the run", async () => {
    const sent = await sendNotice('team', team, failedRun(), { SLACK_WEBHOOK_URL: `${slack.base()}/ok/T0K3N` }, never);
    expect(sent).toEqual({ status: 200, detail: `POST ${slack.base()}/… -> 200` });
    const { headers, body } = slack.last();
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-baton-delivery']).toBe('01JRUNFAILED/run-end/ops');
    const at = Date.UTC(2025, 0, 2, 3, 4, 5);
    expect(JSON.parse(body)).toEqual({
      text: ':x: deploy failed\ndeploy of 1.4.2 to prod failed in migrate',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':x: deploy failed', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: 'deploy of 1.4.2 to prod failed in migrate' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Workflow*\ndeploy' },
            { type: 'mrkdwn', text: '*Run*\n`01JRUNFAILED`' },
            { type: 'mrkdwn', text: '*Status*\n:x: failed' },
            { type: 'mrkdwn', text: '*Duration*\n1m 12s' },
            { type: 'mrkdwn', text: '*Namespace*\ndefault' },
            { type: 'mrkdwn', text: '*Failed task*\n`migrate`' },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: '*Error*\nexit code 3' } },
        { type: 'section', text: { type: 'mrkdwn', text: '```\napplying 0042_users.sql\nERROR: relation "users" already exists\n```' } },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: 'https://baton.example.com/runs/01JRUNFAILED', action_id: 'baton_open_run' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `baton · <!date^${at / 1000}^{date_short_pretty} {time_secs}|2025-01-02T03:04:05.000Z>` }] },
      ],
    });
  });

  it('takes its own URL variable and the channel, username and icon overrides; a run that succeeded gets its emoji and no error', async () => {
    const channel: SlackChannel = { type: 'slack', url_env: 'DEPLOYS_HOOK', channel: '#deployments', username: 'Workflow Orchestrator', icon_emoji: ':gear:' };
    const ok = failedRun({ title: 'deploy succeeded', text: '', status: 'succeeded', failed_task: undefined, error: undefined, error_tail: undefined, run_url: undefined });
    await sendNotice('deploys', channel, ok, { DEPLOYS_HOOK: `${slack.base()}/ok/T0K3N` }, never);
    const payload = JSON.parse(slack.last().body);
    expect(payload).toMatchObject({ channel: '#deployments', username: 'Workflow Orchestrator', icon_emoji: ':gear:', text: ':white_check_mark: deploy succeeded' });
    expect(payload.blocks.map((b: Block) => b.type)).toEqual(['header', 'section', 'context']);
    expect(payload.blocks[1].fields).toContainEqual({ type: 'mrkdwn', text: '*Status*\n:white_check_mark: succeeded' });
  });

  it("escapes what Slack would read as links or mentions, keeps a long tail's end within a section's 3000 characters, cuts a long title", () => {
    const tail = `${'x'.repeat(9000)}\nlast line with \`\`\` inside`;
    const payload = slackPayload(failedRun({ title: `${'t'.repeat(200)}\nsecond line`, text: 'see <!channel> & <https://evil.example|click>', error: '<@U123> broke it', error_tail: tail }));
    expectWithinSlackLimits(payload as { blocks: Block[] });
    const blocks = payload.blocks as Block[];
    expect(blocks[0].text!.text).toMatch(/^:x: t+…$/);
    expect(blocks[1].text!.text).toBe('see &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(payload.text).toMatch(/^:x: t+ second line\nsee &lt;!channel&gt; &amp; &lt;https:\/\/evil.example\|click&gt;$/);
    expect(blocks[3].text!.text).toBe('*Error*\n&lt;@U123&gt; broke it');
    const code = blocks[4].text!.text;
    expect(code.startsWith('```\n…x')).toBe(true);
    expect(code.endsWith('last line with `\u200b`` inside\n```')).toBe(true);
    expect(code.length).toBeLessThanOrEqual(3000);
  });

  it('an alert has a siren when it has no status; a run URL that is not http(s) gets no button', () => {
    const payload = slackPayload({ kind: 'alert', title: 'high failure rate: deploy', text: 'success rate 72%', alert: 'high-failure-rate', delivery: 'a/1', run_url: 'javascript:alert(1)', at: 0 });
    const blocks = payload.blocks as Block[];
    expect(blocks[0].text!.text).toBe(':rotating_light: high failure rate: deploy');
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocks[2].fields).toEqual([{ type: 'mrkdwn', text: '*Alert*\nhigh-failure-rate' }]);
  });

  it("Slack's 404 (no_service) and 400 are not retried, its 429 and a 500 are; a missing URL variable says which", async () => {
    const send = (path: string) => rejection(sendNotice('team', team, failedRun(), { SLACK_WEBHOOK_URL: `${slack.base()}/${path}/T0K3N` }, never));
    expect(await send('gone')).toMatchObject({ code: 'HTTP_STATUS', retryable: false, message: expect.stringContaining('no_service') });
    expect(await send('bad')).toMatchObject({ code: 'HTTP_STATUS', retryable: false });
    expect(await send('slow')).toMatchObject({ code: 'HTTP_STATUS', retryable: true });
    expect(await send('fail')).toMatchObject({ code: 'HTTP_STATUS', retryable: true });
    for (const path of ['gone', 'fail']) expect((await send(path)).message).not.toContain('T0K3N');
    // A channel made in code with no URL at all reads SLACK_WEBHOOK_URL too.
    expect(await rejection(sendNotice('team', { type: 'slack' }, failedRun(), {}, never))).toMatchObject({
      code: 'NOTIFY_ENV_UNSET',
      message: 'channel team takes its webhook URL from the environment variable SLACK_WEBHOOK_URL, which is not set here',
    });
  });
});
