/**
 * The bounded end of a stream of text. A task may print gigabytes; what baton keeps in
 * memory of it is only the last `max` characters (the rest went to io.stdout/io.stderr
 * as it arrived). Appending is amortised O(chunk): the buffer is cut back to `max` only
 * when it has grown to twice that.
 */
export class Tail {
  private text = '';
  /** Characters seen in all, kept or not. */
  total = 0;

  constructor(private readonly max: number) {}

  append(chunk: string): void {
    this.total += chunk.length;
    this.text += chunk;
    if (this.text.length > 2 * this.max) this.text = this.text.slice(-this.max);
  }

  /** The last `max` characters (never starting with half a surrogate pair). */
  toString(): string {
    let text = this.text.length > this.max ? this.text.slice(-this.max) : this.text;
    const first = text.charCodeAt(0);
    if (first >= 0xdc00 && first <= 0xdfff) text = text.slice(1);
    return text;
  }

  /** The last `count` lines, at most `maxChars` characters, without the final newline. */
  lastLines(count: number, maxChars: number = this.max): string {
    const text = this.toString().replace(/\r?\n$/, '');
    let start = text.length;
    for (let i = 0; i < count && start > 0; i++) start = text.lastIndexOf('\n', start - 1);
    const lines = start <= 0 ? text : text.slice(start + 1);
    return lines.length > maxChars ? lines.slice(-maxChars) : lines;
  }
}
