/**
 * A plain table for lists (schedules, tokens, the audit trail): a header row, columns as
 * wide as their widest cell (cut at `maxWidth` with an ellipsis), two spaces between,
 * nothing a terminal would take as a control sequence.
 */
import { visible } from './visible.js';

export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], maxWidth = Infinity): string {
  const cut = (cell: string) => (cell.length > maxWidth ? `${cell.slice(0, maxWidth - 1)}…` : cell);
  const all = [head, ...rows].map((row) => row.map(cut));
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => visible(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()) + '\n').join('');
}
