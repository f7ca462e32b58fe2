/**
 * A Slack channel: a POST to an incoming webhook of a message built with Block Kit
 * (docs.slack.dev/reference/block-kit):
 *
 *   header   ":x: deploy failed" (plain text, 150 characters at most)
 *   section  the notice's text (mrkdwn, 3000 at most)
 *   section  fields: workflow, run, status with its emoji, duration, alert, namespace, task,
 *            failed task (10 fields at most, 2000 characters each)
 *   section  *Error* and the error's message
 *   section  the error's tail in a code block, its end kept within 3000 characters
 *   actions  a button "Open run" linking to run_url, when there is one
 *   context  "baton · <time of the event>"
 *
 * `text` is the fallback shown in notifications. `channel`, `username` and `icon_emoji`
 * override the webhook's own (legacy webhooks honour them; app webhooks ignore them). Values
 * in mrkdwn (and `text`) are escaped as Slack asks (& < >), so a task's output cannot make
 * links or mentions; plain text (the header) is shown as it is.
 * The URL comes from `url`, `url_env` or `url_file`, else from SLACK_WEBHOOK_URL.
 */
import { SLACK_URL_ENV, type SlackChannel } from '../../spec/notify-channels.js';
import { clip, factsOf, statusEmoji, type Delivered, type Notice, type NoticeIO } from './notice.js';
import { checkHttpUrl, readSecret, type Env } from './secrets.js';
import { postJson } from './webhook.js';

/** Slack's limits (Block Kit reference). */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_MAX = 10;
const URL_MAX = 3000;

type Block = Record<string, unknown>;

/** The JSON posted to the incoming webhook. */
export function slackPayload(notice: Notice, channel: Pick<SlackChannel, 'channel' | 'username' | 'icon_emoji'> = {}): Record<string, unknown> {
  const emoji = statusEmoji(notice, 'shortcode');
  const title = `${emoji === '' ? '' : `${emoji} `}${notice.title.trim() === '' ? 'baton' : oneLine(notice.title)}`;
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: true } }];
  if (notice.text.trim() !== '') blocks.push(section(escapeSlack(notice.text)));
  const facts = factsOf(notice).slice(0, FIELDS_MAX);
  if (facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: facts.map((fact) => {
        const value = fact.label === 'Status' && emoji !== '' ? `${emoji} ${escapeSlack(fact.value)}` : fact.code ? code(fact.value) : escapeSlack(fact.value);
        return { type: 'mrkdwn', text: clip(`*${fact.label}*\n${value}`, FIELD_MAX) };
      }),
    });
  }
  if (notice.error !== undefined && notice.error !== '') blocks.push(section(`*Error*\n${escapeSlack(notice.error)}`));
  if (notice.error_tail !== undefined && notice.error_tail.trim() !== '') blocks.push(section(codeBlock(notice.error_tail)));
  if (notice.run_url !== undefined && isLink(notice.run_url)) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open run' }, url: notice.run_url, action_id: 'baton_open_run' }] });
  }
  const when = Math.floor(notice.at / 1000);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `baton · <!date^${when}^{date_short_pretty} {time_secs}|${new Date(notice.at).toISOString()}>` }] });
  // A notify task's title is its message's first line: not said twice.
  const fallback = notice.text.trim() === '' ? title : notice.text.trimStart().startsWith(notice.title.trim()) ? `${emoji === '' ? '' : `${emoji} `}${notice.text}` : `${title}\n${notice.text}`;
  return {
    text: clip(escapeSlack(fallback), SECTION_MAX),
    blocks,
    ...(channel.channel === undefined ? {} : { channel: channel.channel }),
    ...(channel.username === undefined ? {} : { username: channel.username }),
    ...(channel.icon_emoji === undefined ? {} : { icon_emoji: channel.icon_emoji }),
  };
}

export async function sendSlack(name: string, channel: SlackChannel, notice: Notice, env: Env, signal: AbortSignal, who: string, io?: NoticeIO): Promise<Delivered> {
  let url = channel.url;
  if (url === undefined) {
    const fromEnv = channel.url_file === undefined ? (channel.url_env ?? SLACK_URL_ENV) : undefined;
    const read = readSecret(env, fromEnv, channel.url_file, 'its webhook URL', who)!;
    url = checkHttpUrl(read, fromEnv === undefined ? `the file ${channel.url_file}` : `the environment variable ${fromEnv}`, who);
  }
  return postJson({ url, headers: {} }, slackPayload(notice, channel), notice.delivery, who, signal, io);
}

/** Slack reads &, < and > as markup (links, mentions): each is escaped, as its docs ask. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_MAX) } };
}

/** Inline code; a backtick inside would end it, so it becomes a look-alike. */
function code(text: string): string {
  return `\`${escapeSlack(text).replace(/`/g, 'ˋ')}\``;
}

/** A code block keeping the tail's end (the last lines say most), within a section's limit. */
function codeBlock(tail: string): string {
  // Three backticks inside would close the block early: a zero-width space splits them.
  const body = escapeSlack(tail.replace(/\s+$/, '')).replace(/```/g, '`\u200b``');
  return `\`\`\`\n${clip(body, SECTION_MAX - 8, 'end')}\n\`\`\``;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function isLink(url: string): boolean {
  return url.length <= URL_MAX && /^https?:\/\/[^\s]+$/i.test(url);
}
