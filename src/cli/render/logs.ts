/** Log lines as `baton logs` prints them. */
import type { LogLine } from '../../store/store.js';
import type { Paint } from './format.js';
import { visible } from './visible.js';

/** Task names longer than this are not padded to. */
const MAX_WIDTH = 40;

/**
 * With several tasks each line says whose it is and which stream: `deploy | text` for
 * stdout, `deploy ! text` for stderr, `deploy#2 | ...` for a later attempt. Task names are
 * padded to the widest of the run's (or seen so far), so the text lines up.
 */
export class LogFormatter {
  private width = 0;

  constructor(
    private readonly paint: Paint,
    /** Print the task and stream before each line; false when showing one task. */
    private readonly prefixed: boolean,
    /** The run's task keys, so the columns line up from the first line. */
    tasks: Iterable<string> = [],
  ) {
    for (const task of tasks) this.width = Math.min(MAX_WIDTH, Math.max(this.width, task.length));
  }

  /** Output printed on request keeps its colours; every other control sequence is made visible. */
  format(line: LogLine): string {
    const shown = visible(line.text, { lines: true, colors: true });
    const text = line.stream === 'stderr' ? this.paint.red(shown) : shown;
    if (!this.prefixed) return text;
    const task = visible(line.task);
    const who = line.attempt > 1 ? `${task}#${line.attempt}` : task;
    this.width = Math.min(MAX_WIDTH, Math.max(this.width, who.length));
    const marker = line.stream === 'stderr' ? this.paint.red('!') : this.paint.dim('|');
    return `${this.paint.dim(who.padEnd(this.width))} ${marker} ${text}`;
  }
}
