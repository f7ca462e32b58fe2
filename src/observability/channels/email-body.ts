/**
 * What an email channel sends, made from a notice (pure): the subject, a text part and an
 * HTML part saying the same facts as a Slack message (the title with its status, the text,
 * workflow, run, status, duration, the failed task, its error and the tail of its stderr, a
 * link to the run), and a Message-ID derived from the delivery id, so the copies a retry
 * sends can be recognised as one message by the receiving side.
 */
import type { EmailChannel } from '../../spec/notify-channels.js';
import { clip, factsOf, statusEmoji, type Notice } from './notice.js';

export interface EmailBody {
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/** Subjects longer than this are cut (RFC 5322 advises lines under 78; clients show ~100). */
const SUBJECT_MAX = 200;

export function emailBody(name: string, channel: Pick<EmailChannel, 'subject' | 'from'>, notice: Notice): EmailBody {
  const emoji = statusEmoji(notice, 'char');
  const title = oneLine(notice.title) || 'baton';
  const heading = emoji === '' ? title : `${emoji} ${title}`;
  const subject = clip(oneLine(channel.subject ?? title) || title, SUBJECT_MAX);
  const facts = factsOf(notice);
  const when = new Date(notice.at).toISOString();

  const text: string[] = [heading, ''];
  if (notice.text.trim() !== '') text.push(notice.text.trimEnd(), '');
  for (const fact of facts) text.push(`${fact.label}: ${fact.value}`);
  if (facts.length > 0) text.push('');
  if (notice.error) text.push(`Error: ${notice.error}`, '');
  if (notice.error_tail?.trim()) text.push('Last lines of its stderr:', ...notice.error_tail.trimEnd().split('\n').map((line) => `    ${line}`), '');
  if (notice.run_url !== undefined && isLink(notice.run_url)) text.push(`Open the run: ${notice.run_url}`, '');
  text.push('-- ', `baton, ${when}`);

  const html: string[] = [`<!doctype html><html><body style="font-family:sans-serif">`, `<h2>${escapeHtml(heading)}</h2>`];
  if (notice.text.trim() !== '') html.push(`<p style="white-space:pre-wrap">${escapeHtml(notice.text.trimEnd())}</p>`);
  if (facts.length > 0) {
    html.push('<table cellpadding="4">');
    for (const fact of facts) {
      const value = fact.code ? `<code>${escapeHtml(fact.value)}</code>` : escapeHtml(fact.value);
      html.push(`<tr><th align="left">${escapeHtml(fact.label)}</th><td>${value}</td></tr>`);
    }
    html.push('</table>');
  }
  if (notice.error) html.push(`<p><b>Error:</b> ${escapeHtml(notice.error)}</p>`);
  if (notice.error_tail?.trim()) html.push('<p>Last lines of its stderr:</p>', `<pre style="background:#f4f4f4;padding:8px">${escapeHtml(notice.error_tail.trimEnd())}</pre>`);
  if (notice.run_url !== undefined && isLink(notice.run_url)) html.push(`<p><a href="${escapeHtml(notice.run_url)}">Open the run</a></p>`);
  html.push(`<p style="color:#888">baton, ${escapeHtml(when)}</p>`, '</body></html>');

  return { subject, text: `${text.join('\n')}\n`, html: html.join('\n'), messageId: messageIdOf(notice.delivery, name, channel.from) };
}

/** `&`, `<`, `>`, `"` and `'` as entities: safe in text and in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * `<01J9.../deploy.ops@example.com>`: the delivery id and the channel's name (the same
 * notice to two channels makes two messages), at the sender's domain, which is the same on
 * every machine that sends (a host name would not be). Characters a Message-ID may not
 * hold (RFC 5322 dot-atom) are written as %XX of their UTF-8 bytes.
 */
export function messageIdOf(delivery: string, channel: string, from: string): string {
  const encode = (text: string) => [...Buffer.from(text, 'utf8')].map((byte) => (isAtext(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1]?.replace(/^\.+|\.+$/g, '') || 'baton.invalid';
  return `<${encode(delivery)}.${encode(channel)}@${domain}>`;
}

/** Letters, digits and the atext symbols of RFC 5322 except `%` (the escape) and `.` (rules on its place). */
function isAtext(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || "!#$&'*+-/=?^_`{|}~".includes(String.fromCharCode(byte));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function isLink(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}
