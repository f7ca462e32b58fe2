/**
 * The UI's routes, on location.pathname with the history API (no router library: eight
 * routes). The server answers every such path with index.html (src/server/ui-static.ts),
 * so a link from a notification, `<public_url>/runs/<id>`, opens the run directly.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'runs' }
  | { view: 'run'; id: string }
  | { view: 'workflows' }
  | { view: 'workflow'; name: string }
  | { view: 'schedules' }
  | { view: 'skills' }
  | { view: 'metrics' }
  | { view: 'login' }
  | { view: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { view: 'not-found', path: pathname };
  if (first === undefined || first === '') return { view: 'runs' };
  if (first === 'runs' && second) return { view: 'run', id: second };
  if (first === 'workflows') return second ? { view: 'workflow', name: second } : { view: 'workflows' };
  if (second === undefined && (first === 'schedules' || first === 'skills' || first === 'metrics' || first === 'login')) return { view: first };
  return { view: 'not-found', path: pathname };
}

const listeners = new Set<() => void>();
addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to `href` (a path with an optional query) without reloading. */
export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', href);
  listeners.forEach((l) => l());
}

/** The current route and query; re-renders on every navigation. */
export function useRoute(): { route: Route; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { route: parseRoute(location.pathname), search: new URLSearchParams(location.search) };
}

/** A click on an in-app link: navigate, unless the user asked for a new tab or window. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? undefined;
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href') ?? '/');
}
