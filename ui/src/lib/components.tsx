/** Small pieces every view uses: links, the error banner, status badges. */
import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import { onLinkClick } from './router.js';

export function Link(props: { href: string; class?: string; children: ComponentChildren; title?: string }) {
  return (
    <a href={props.href} class={props.class} title={props.title} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

/**
 * An error as the server said it: its code, its message, its hint. Every failed call a
 * view makes ends here, so nothing a user caused goes unseen.
 */
export function ErrorBanner(props: { error: unknown; onDismiss?: () => void }) {
  if (props.error === undefined || props.error === null) return null;
  const err = props.error instanceof ApiError ? props.error : new ApiError('UI_ERROR', props.error instanceof Error ? props.error.message : String(props.error), 0);
  return (
    <div class="error-banner" role="alert" data-code={err.code}>
      <strong class="code">{err.code}</strong> <span class="message">{err.message}</span>
      {err.hint ? <div class="hint">{err.hint}</div> : null}
      {props.onDismiss ? (
        <button type="button" class="link" onClick={props.onDismiss} aria-label="dismiss">
          ×
        </button>
      ) : null}
    </div>
  );
}

/** The statuses of runs and tasks, each with its colour (styles.css .status-*). */
export function StatusBadge(props: { status: string }) {
  return <span class={`badge status-${props.status}`}>{props.status}</span>;
}

/** A view's heading and the row of actions beside it. */
export function ViewHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <header class="view-header">
      <h1>{props.title}</h1>
      <div class="actions">{props.children}</div>
    </header>
  );
}

/** A live stream's state (lib/live.ts) as the person sees it: nothing while it is fine, "reconnecting…" when not. */
export function LiveIndicator(props: { state: 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed' }) {
  const label = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', ended: 'ended', failed: 'stream failed' }[props.state];
  return (
    <span class={`live ${props.state}`} role="status">
      {label}
    </span>
  );
}
