/**
 * Light or dark: the page follows the system (prefers-color-scheme, in styles.css) until
 * the toggle picks one, which is kept in localStorage and set as data-theme on <html>.
 */
export type Theme = 'light' | 'dark';
const KEY = 'baton.theme';

export function currentTheme(): Theme {
  const picked = localStorage.getItem(KEY);
  if (picked === 'light' || picked === 'dark') return picked;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Applies the kept choice (if any) before the first paint. */
export function applyTheme(): void {
  const picked = localStorage.getItem(KEY);
  if (picked === 'light' || picked === 'dark') document.documentElement.dataset.theme = picked;
}

export function toggleTheme(): Theme {
  const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
  localStorage.setItem(KEY, next);
  document.documentElement.dataset.theme = next;
  return next;
}
