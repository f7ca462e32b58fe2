/**
 * The shell: who the caller is (GET /api/whoami), the top bar, and the view of the route.
 * A server that needs a token answers whoami 401: the shell sends the person to /login and
 * back to where they were once a token is accepted.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './lib/api.js';
import { ErrorBanner } from './lib/components.js';
import { navigate, useRoute, type Route } from './lib/router.js';
import { setSession, useSession, type Whoami } from './lib/session.js';
import { TopBar } from './top-bar.js';
import { LoginView } from './views/login/login-view.js';
import { MetricsView } from './views/metrics/metrics-view.js';
import { RunView } from './views/run/run-view.js';
import { RunsView } from './views/runs/runs-view.js';
import { SchedulesView } from './views/schedules/schedules-view.js';
import { SkillsView } from './views/skills/skills-view.js';
import { WorkflowView } from './views/workflows/workflow-view.js';
import { WorkflowsView } from './views/workflows/workflows-view.js';

export function App() {
  const { route, search } = useRoute();
  const current = useSession();
  const [error, setError] = useState<unknown>();

  // Who are we? Asked at start and whenever the token changes (login, logout, a 401).
  useEffect(() => {
    if (current.who !== undefined) return;
    let live = true;
    api<Whoami>('/api/whoami').then(
      (who) => {
        if (!live) return;
        setError(undefined);
        setSession({ ...current, who });
      },
      (err: unknown) => {
        if (!live) return;
        if (err instanceof ApiError && err.status === 401) {
          if (route.view !== 'login') navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
        } else setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [current.token, current.who]);

  if (route.view === 'login') return <LoginView next={search.get('next') ?? '/'} />;
  return (
    <div class="shell">
      <TopBar route={route} who={current.who} />
      <main id="main">
        <ErrorBanner error={error} />
        {current.who ? <ViewOf route={route} /> : error ? null : <p class="muted">Loading…</p>}
      </main>
    </div>
  );
}

function ViewOf(props: { route: Route }) {
  const route = props.route;
  switch (route.view) {
    case 'runs':
      return <RunsView />;
    case 'run':
      return <RunView id={route.id} />;
    case 'workflows':
      return <WorkflowsView />;
    case 'workflow':
      return <WorkflowView name={route.name} />;
    case 'schedules':
      return <SchedulesView />;
    case 'skills':
      return <SkillsView />;
    case 'metrics':
      return <MetricsView />;
    case 'login':
      return null;
    case 'not-found':
      return <ErrorBanner error={new ApiError('UI_NOT_FOUND', `no page at ${route.path}: pick a view above`, 404)} />;
  }
}
