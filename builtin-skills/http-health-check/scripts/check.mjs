// http-health-check: asks a URL up to `attempts` times until it answers with the expected
// status. Outputs: status (the last answer's, 0 when none came), latency_ms (the last
// attempt's time to the status line and headers), healthy, attempts (tries made), error
// (why the last try was not healthy; empty when healthy).
import { SkillError, badInput, booleanInput, durationInput, input, main, numberInput, seconds } from './lib.mjs';

main(async () => {
  const { url, shown, authorization } = parseUrl(input('url'));
  const expected = numberInput('expect_status', 200, { min: 100, max: 599, integer: true });
  const attempts = numberInput('attempts', 3, { min: 1, max: 100, integer: true });
  const timeoutMs = durationInput('timeout', '5s');
  const intervalMs = durationInput('interval', '1s');
  const method = input('method', 'GET').toUpperCase();
  if (!['GET', 'HEAD'].includes(method)) throw badInput(`input method: ${method} is not GET or HEAD (a health check must not change anything)`);
  const followRedirects = booleanInput('follow_redirects', true);
  const requireHealthy = booleanInput('require_healthy', true);
  if (timeoutMs <= 0) throw badInput('input timeout must be more than 0');

  let last;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    last = await probe(url, authorization, method, timeoutMs, followRedirects);
    last.attempt = attempt;
    if (last.status === expected) break;
    last.error ??= `answered ${last.status}, expected ${expected}`;
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const healthy = last.status === expected;
  if (!healthy && requireHealthy) {
    throw new SkillError('UNHEALTHY', `${shown} is not healthy after ${last.attempt} attempt${last.attempt === 1 ? '' : 's'}: ${last.error}; check the service, or pass require_healthy: false to get healthy=false instead of a failure`);
  }
  return { url: shown, status: last.status, latency_ms: last.latencyMs, healthy, attempts: last.attempt, error: healthy ? '' : last.error };
});

function parseUrl(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    throw badInput(`input url: ${JSON.stringify(text)} is not a URL: write it whole, e.g. https://example.com/healthz`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`input url: ${url.protocol} is not http: or https:`);
  // fetch refuses a URL with credentials: they go in an Authorization header, and out of
  // messages and outputs, which are recorded and shown.
  const shown = url.password === '' ? String(url) : String(Object.assign(new URL(url), { password: '***' }));
  let authorization;
  if (url.username !== '' || url.password !== '') {
    authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url, shown, authorization };
}

/** One request: its status (0 when no answer came) and how long it took. */
async function probe(url, authorization, method, timeoutMs, followRedirects) {
  const started = performance.now();
  try {
    const response = await fetch(url, { method, redirect: followRedirects ? 'follow' : 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'baton-http-health-check', ...(authorization ? { authorization } : {}) } });
    const latencyMs = Math.round(performance.now() - started);
    // The status is the answer; the body (which may be large, or endless) is not read.
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, latencyMs };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    if (err?.name === 'TimeoutError') return { status: 0, latencyMs, error: `no answer within ${seconds(timeoutMs)} (timeout)` };
    // fetch's own error is a bare "fetch failed"; the cause says what happened (connect ECONNREFUSED ...).
    return { status: 0, latencyMs, error: `request failed: ${err?.cause?.message ?? err?.message ?? String(err)}` };
  }
}
