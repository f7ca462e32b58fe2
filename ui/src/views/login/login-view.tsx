/**
 * /login: a server that has tokens needs one (docs/access.md). The token is checked with
 * GET /api/whoami before it is kept: sessionStorage (this tab, until it closes), or
 * localStorage with "remember me". A refused token shows the server's reason.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner } from '../../lib/components.js';
import { navigate } from '../../lib/router.js';
import { setSession, type Whoami } from '../../lib/session.js';

export function LoginView(props: { next: string }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      const who = await api<Whoami>('/api/whoami', { token: token.trim() });
      setSession({ token: token.trim(), who }, remember);
      // Only a path of this app: never an address elsewhere.
      navigate(props.next.startsWith('/') && !props.next.startsWith('//') ? props.next : '/', true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form onSubmit={submit} class="card">
        <h1>baton</h1>
        <p class="muted">
          This server needs a token. <code>baton token create --role viewer</code> makes one.
        </p>
        <ErrorBanner error={error} />
        <label>
          Token
          <input type="password" name="token" autoComplete="current-password" value={token} onInput={(e) => setToken(e.currentTarget.value)} placeholder="baton_…" required autoFocus />
        </label>
        <label class="inline">
          <input type="checkbox" name="remember" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember me on this browser
        </label>
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
