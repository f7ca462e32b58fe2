/** The bar on every page: the views, who is logged in (namespace and roles), the theme, log out. */
import { useState } from 'preact/hooks';
import { pickNamespace } from './lib/api.js';
import { Link } from './lib/components.js';
import type { Route } from './lib/router.js';
import { navigate } from './lib/router.js';
import { logout, session, type Whoami } from './lib/session.js';
import { currentTheme, toggleTheme } from './lib/theme.js';

const VIEWS: Array<{ href: string; label: string; active: Array<Route['view']> }> = [
  { href: '/', label: 'Runs', active: ['runs', 'run'] },
  { href: '/workflows', label: 'Workflows', active: ['workflows', 'workflow'] },
  { href: '/schedules', label: 'Schedules', active: ['schedules'] },
  { href: '/skills', label: 'Skills', active: ['skills'] },
  { href: '/metrics', label: 'Metrics', active: ['metrics'] },
];

export function TopBar(props: { route: Route; who: Whoami | undefined }) {
  const [theme, setTheme] = useState(currentTheme());
  const who = props.who;
  return (
    <header class="top-bar">
      <Link href="/" class="brand">
        baton
      </Link>
      <nav aria-label="views">
        {VIEWS.map((v) => (
          <Link key={v.href} href={v.href} class={v.active.includes(props.route.view) ? 'active' : ''}>
            {v.label}
          </Link>
        ))}
      </nav>
      <div class="who">
        {who ? (
          <>
            {who.namespaces && who.namespaces.length > 1 ? (
              <select
                class="namespace"
                name="namespace"
                aria-label="namespace"
                value={who.namespace}
                onChange={(e) => {
                  // Every view reads its namespace's data afresh: the simplest honest way is a reload.
                  pickNamespace(e.currentTarget.value === 'default' ? undefined : e.currentTarget.value);
                  location.assign(location.pathname.startsWith('/runs/') ? '/' : location.pathname);
                }}
              >
                {who.namespaces.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            ) : (
              <span class="namespace" title="namespace">
                {who.namespace}
              </span>
            )}
            <span class="roles" title={who.actor}>
              {who.roles.join(', ')}
            </span>
          </>
        ) : null}
        <button type="button" class="icon" title="light or dark" aria-label={`switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} onClick={() => setTheme(toggleTheme())}>
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        {session().token ? (
          <button
            type="button"
            class="link"
            onClick={() => {
              logout();
              navigate('/login');
            }}
          >
            Log out
          </button>
        ) : null}
      </div>
    </header>
  );
}
