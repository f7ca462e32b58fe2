/**
 * Lines of the monitor's screen: built from parts of plain text, each with a style, cut to
 * the terminal's width before the colours go on (so an escape sequence is never cut in
 * half, and a line never wraps: a wrapped line would push the whole screen down). Text
 * from runs (names, ids, output, errors) goes through visible() first: it cannot move the
 * cursor or retitle the window.
 */
import type { ProgressJson } from '../../runs/progress-json.js';
import { duration, type Paint } from '../render/format.js';
import { visible } from '../render/visible.js';

export type Style = keyof Paint | 'inverse' | 'plain';

/** A piece of a line: text and how it looks. */
export type Part = string | readonly [text: string, style: Style];

/** The colours of the monitor: baton's Paint, and inverse video for the selected row. */
export interface Colors extends Paint {
  inverse(s: string): string;
  /** Whether any of these add escapes (NO_COLOR, not a terminal: none). */
  readonly enabled: boolean;
}

export function colors(paint: Paint, enabled: boolean): Colors {
  return { ...paint, inverse: (s) => (enabled ? `\x1b[7m${s}\x1b[0m` : s), enabled };
}

/** One line, cut to `width` characters (the last one `…` when cut), then styled. */
export function fit(parts: readonly Part[], width: number, c: Colors): string {
  let room = Math.max(0, width);
  let out = '';
  for (const part of parts) {
    if (room <= 0) break;
    const [raw, style] = typeof part === 'string' ? [part, 'plain' as const] : part;
    let text = raw;
    if (text.length > room) text = room === 1 ? '…' : text.slice(0, room - 1) + '…';
    room -= text.length;
    out += style === 'plain' || text === '' ? text : c[style](text);
    // Cut: what follows would not show.
    if (text !== raw) break;
  }
  return out;
}

/** The selected row: marked `>`, and with colours a whole line in inverse video (a bar across the screen). */
export function selected(parts: readonly Part[], width: number, c: Colors): string {
  if (!c.enabled) return fit(['> ', ...parts], width, c);
  const plain = fit(['> ', ...parts.map((p) => (typeof p === 'string' ? p : p[0]))], width, { ...c, enabled: false });
  return c.inverse(plain.padEnd(width));
}

/** `text` safe to show (see visible()), on one line. */
export function safe(text: string): string {
  return visible(text);
}

/** `[█████░░░░░] 50%`, or `37/120` with a bar when a total is known. */
export function bar(fraction: number, cells: number): string {
  const clamped = Math.max(0, Math.min(1, fraction));
  const full = Math.round(clamped * cells);
  return `${'█'.repeat(full)}${'░'.repeat(cells - full)}`;
}

/** A task's progress (runs/progress-json.ts), in a few characters: `60%`, `37/120 (30%)`, its message, the time left. */
export function progressText(progress: ProgressJson | undefined): { fraction?: number; text: string } {
  if (progress === undefined) return { text: '' };
  const { percent, done, total, message } = progress;
  let fraction: number | undefined;
  let text = '';
  if (done !== undefined && total !== undefined && total > 0) {
    fraction = done / total;
    text = `${done}/${total}`;
    if (percent === undefined) text += ` (${Math.floor(fraction * 100)}%)`;
  } else if (done !== undefined) text = `${done} done`;
  if (percent !== undefined) {
    fraction = percent / 100;
    text = text === '' ? `${Math.round(percent)}%` : `${text} ${Math.round(percent)}%`;
  }
  if (message !== undefined && message !== '') text += ` ${safe(message)}`;
  if (progress.eta_ms !== undefined) text += ` · ${duration(progress.eta_ms)} left`;
  return fraction === undefined ? { text } : { fraction, text };
}

/** `text` in lines of at most `width` characters, broken between words. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The first `n` characters of a run id: enough to tell runs apart on one screen, and to type. */
export function shortId(id: string, n = 10): string {
  return id.slice(0, n);
}
