/**
 * Quoting expression values into a shell command so they stay data.
 *
 * A small state machine reads the command's literal text and knows, at each `${ }`,
 * which quoting context the shell will be in; the value is then written in the one form
 * that context reads back verbatim:
 *
 *   unquoted, `$( )`, `${X:- }`    'v'   with ' written '\''
 *   inside '...'                   v     with ' written '\''  (closes and reopens the quotes)
 *   inside "...", heredoc body     v     with \ " $ ` escaped by a backslash (" not in heredocs)
 *   inside "${X:- }"               as "..." and } escaped too
 *   inside $'...'                  v     with \ and ' escaped by a backslash
 *   comment                        v     with line breaks turned into spaces
 *
 * Contexts where no quoting is safe are refused with an ExprError: inside backticks,
 * right after a backslash, and a value holding a heredoc's terminating line. As a last
 * guard, every quoted value is fed back through the machine, which must end in the
 * state it started in.
 */
type Frame =
  | { k: 'U' } // unquoted, top level
  | { k: 'C'; depth: number } // inside $( ... ): unquoted rules, ends at the matching )
  | { k: 'P'; dq: boolean } // inside ${ ... } (a shell expansion), within "..." when dq
  | { k: 'S' } // '...'
  | { k: 'D' } // "..."
  | { k: 'A' } // $'...'
  | { k: 'B' } // `...`
  | { k: 'H'; delim: string; strip: boolean; expand: boolean } // heredoc body
  | { k: '#' }; // comment

type Heredoc = { delim: string; strip: boolean; expand: boolean };

const WORD_END = /[\s;&|<>()]/;

export class UnsafeShellValue extends Error {}

export class ShellQuoter {
  private stack: Frame[] = [{ k: 'U' }];
  private escaped = false;
  private prev = '\n';
  private pending: Heredoc[] = [];
  /** Text of the current heredoc line so far. */
  private line = '';

  private get top(): Frame {
    return this.stack[this.stack.length - 1];
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) i = this.step(text, i);
  }

  /** The value written for the current context; throws UnsafeShellValue where none is safe. */
  quote(value: string): string {
    if (this.escaped) throw new UnsafeShellValue('it directly follows a backslash');
    const top = this.top;
    let out: string;
    switch (top.k) {
      case 'U':
      case 'C':
        out = `'${value.replaceAll("'", "'\\''")}'`;
        break;
      case 'P':
        out = top.dq ? value.replace(/[\\"$`}]/g, '\\$&') : `'${value.replaceAll("'", "'\\''")}'`;
        break;
      case 'S':
        out = value.replaceAll("'", "'\\''");
        break;
      case 'D':
        out = value.replace(/[\\"$`]/g, '\\$&');
        break;
      case 'A':
        out = value.replace(/[\\']/g, '\\$&');
        break;
      case 'H':
        out = top.expand ? value.replace(/[\\$`]/g, '\\$&') : value;
        break;
      case '#':
        out = value.replace(/[\r\n]/g, ' ');
        break;
      case 'B':
        throw new UnsafeShellValue('it is inside backticks; use $( ... ) instead');
    }
    const before = this.signature();
    this.feed(out);
    if (this.signature() !== before) {
      throw new UnsafeShellValue(
        top.k === 'H' ? `it contains the line that ends the heredoc (${top.delim})` : 'it would change the quoting of the command',
      );
    }
    return out;
  }

  /** The quoting state, for comparing two machines or a machine before and after a value. */
  signature(): string {
    return `${this.stack.map(f => f.k + ('depth' in f ? f.depth : '')).join('')}|${this.pending.length}|${this.escaped}`;
  }

  /** Reads text[i]; returns the index of the last character consumed. */
  private step(text: string, i: number): number {
    const c = text[i];
    const top = this.top;
    if (this.escaped) {
      this.escaped = false;
      this.prev = 'x';
      if (top.k === 'H') this.line += c;
      return i;
    }
    switch (top.k) {
      case 'S':
        if (c === "'") this.stack.pop();
        break;
      case 'A':
        if (c === '\\') this.escaped = true;
        else if (c === "'") this.stack.pop();
        break;
      case 'B':
        if (c === '\\') this.escaped = true;
        else if (c === '`') this.stack.pop();
        break;
      case '#':
        if (c === '\n') {
          this.stack.pop();
          return this.step(text, i); // the newline may start a heredoc body
        }
        break;
      case 'D':
        return this.inDouble(text, i, c === '"');
      case 'P':
        if (c === '}') {
          this.stack.pop();
          break;
        }
        return top.dq ? this.inDouble(text, i, false) : this.unquoted(text, i);
      case 'H':
        return this.inHeredoc(text, i, top);
      default:
        return this.unquoted(text, i);
    }
    this.prev = c;
    return i;
  }

  private unquoted(text: string, i: number): number {
    const c = text[i];
    const top = this.top;
    const wordStart = /[\s;&|()]/.test(this.prev);
    this.prev = c;
    if (c === '\\') this.escaped = true;
    else if (c === "'") this.stack.push({ k: 'S' });
    else if (c === '"') this.stack.push({ k: 'D' });
    else if (c === '`') this.stack.push({ k: 'B' });
    else if (c === '#' && wordStart && top.k !== 'P') this.stack.push({ k: '#' });
    else if (c === '$') return this.dollar(text, i, false);
    else if (c === '(' && top.k === 'C') top.depth++;
    else if (c === ')' && top.k === 'C' && --top.depth === 0) this.stack.pop();
    else if (c === '<' && text.startsWith('<<', i) && !text.startsWith('<<<', i)) return this.heredocStart(text, i);
    else if (c === '\n' && this.pending.length > 0) this.startHeredoc();
    return i;
  }

  private inDouble(text: string, i: number, closing: boolean): number {
    const c = text[i];
    this.prev = c;
    if (closing) this.stack.pop();
    else if (c === '\\') this.escaped = true;
    else if (c === '`') this.stack.push({ k: 'B' });
    else if (c === '"' && this.top.k === 'P') this.stack.push({ k: 'D' });
    else if (c === '$') return this.dollar(text, i, true);
    return i;
  }

  private dollar(text: string, i: number, dq: boolean): number {
    const next = text[i + 1];
    if (next === '(') {
      this.stack.push({ k: 'C', depth: 1 });
      this.prev = '(';
      return i + 1;
    }
    if (next === '{') {
      this.stack.push({ k: 'P', dq });
      return i + 1;
    }
    if (next === "'" && !dq) {
      this.stack.push({ k: 'A' });
      return i + 1;
    }
    return i;
  }

  private heredocStart(text: string, i: number): number {
    let j = i + 2;
    const strip = text[j] === '-';
    if (strip) j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    let delim = '';
    let quoted = false;
    while (j < text.length && !WORD_END.test(text[j])) {
      const c = text[j];
      if (c === "'" || c === '"') {
        const end = text.indexOf(c, j + 1);
        if (end < 0) break;
        delim += text.slice(j + 1, end);
        quoted = true;
        j = end + 1;
      } else if (c === '\\') {
        delim += text[j + 1] ?? '';
        quoted = true;
        j += 2;
      } else {
        delim += c;
        j++;
      }
    }
    if (delim) this.pending.push({ delim, strip, expand: !quoted });
    this.prev = 'x';
    return j - 1;
  }

  private startHeredoc(): void {
    const next = this.pending.shift()!;
    this.stack.push({ k: 'H', ...next });
    this.line = '';
  }

  private inHeredoc(text: string, i: number, top: Extract<Frame, { k: 'H' }>): number {
    const c = text[i];
    if (c === '\n') {
      const line = top.strip ? this.line.replace(/^\t+/, '') : this.line;
      this.line = '';
      if (line === top.delim) {
        this.stack.pop();
        if (this.pending.length > 0) this.startHeredoc();
      }
      return i;
    }
    this.line += c;
    if (!top.expand) return i;
    if (c === '\\') this.escaped = true;
    else if (c === '`') this.stack.push({ k: 'B' });
    else if (c === '$') return this.dollar(text, i, true);
    return i;
  }
}
