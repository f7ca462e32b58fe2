// notify-webhook: POSTs a JSON body to a URL: `payload` as given, else {"text": message}
// (what Slack, Mattermost and Teams incoming webhooks read). With a secret, the body is
// signed: X-Baton-Signature: sha256=<HMAC-SHA256 of the body, hex>. Any answer but 2xx
// fails the skill with its status. Messages show the URL's origin only: a webhook URL's
// path is often its secret.
import { createHmac } from 'node:crypto';
import { SkillError, badInput, durationInput, input, main, seconds } from './lib.mjs';

main(async () => {
  const url = parseUrl(input('url'));
  const where = `${url.origin}/…`;
  const body = bodyOf(input('payload', ''), input('message', ''));
  const secret = input('secret', process.env.WEBHOOK_SECRET ?? '');
  const timeoutMs = durationInput('timeout', '10s');
  const headers = { 'content-type': 'application/json', 'user-agent': 'baton-notify-webhook' };
  if (secret !== '') headers['x-baton-signature'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  // The same key on every attempt of this task, so a receiver can drop a repeat.
  if (process.env.BATON_IDEMPOTENCY_KEY) headers['idempotency-key'] = process.env.BATON_IDEMPOTENCY_KEY;

  let response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const why = err?.name === 'TimeoutError' ? `no answer within ${seconds(timeoutMs)}` : (err?.cause?.message ?? err?.message ?? String(err));
    throw new SkillError('REQUEST_FAILED', `could not deliver to ${where}: ${why}; check the URL and that this machine can reach it`);
  }
  const text = await response.text().catch(() => '');
  if (response.status < 200 || response.status > 299) {
    const moved = response.headers.get('location');
    const detail = moved ? `redirected to ${new URL(moved, url).origin}/…: use that URL` : text.trim() === '' ? 'no body' : `body: ${text.trim().slice(0, 200)}`;
    throw new SkillError('HTTP_STATUS', `${where} answered ${response.status} ${response.statusText} (${detail}); the notification was not accepted`);
  }
  return { status: response.status, response: text.slice(0, 1000) };
});

function parseUrl(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    throw badInput('input url is not a URL: write it whole, e.g. https://hooks.example.com/services/T000/B000/XXXX');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`input url: ${url.protocol} is not http: or https:`);
  return url;
}

/** The request's body: the payload (JSON, sent compact), else {"text": message}. */
function bodyOf(payload, message) {
  if (payload.trim() !== '') {
    try {
      return JSON.stringify(JSON.parse(payload));
    } catch (err) {
      throw badInput(`input payload is not JSON (${err.message}): give an object, e.g. {"text": "deployed"}`);
    }
  }
  if (message === '') throw badInput('give message (sent as {"text": message}) or payload (a JSON body sent as it is)');
  return JSON.stringify({ text: message });
}
