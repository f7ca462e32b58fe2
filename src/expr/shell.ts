/**
 * Quoting expression values into a shell command so they stay data.
 *
 * A small state machine reads the command's literal text and knows, at each `${ }`,
 * which quoting context the shell will be in; the value is then written in the one form
 * that context reads back verbatim:
 *
 *   unquoted, `$( )`, `${X:- }`    'v'   with ' written '\'' (a plain word such as qa-1.2 as is)
 *   inside $(( ))                  v     numbers only
 *   inside '...'                   v     with ' written '\''  (closes and reopens the quotes)
 *   inside "...", heredoc body     v     with \ " $ ` escaped by a backslash (" not in heredocs)
 *   inside "${X:- }"               "v"   nested double quotes, escaped as in "..."
 *   comment                        'v'   as unquoted, line breaks turned into spaces
 *
 * It follows what both sh (dash) and bash agree on: nested `$( )` and `${ }`, case
 * patterns, arithmetic, comments, heredocs (whose bodies end by line, whatever they hold).
 * Where no quoting is safe it refuses (UnsafeShellValue): inside backticks, right after a
 * backslash, a value holding its heredoc's end line, and inside $'...' (bash reads it as
 * an escaped string, sh as `$` then '...'; after a `\'` in one, the shells disagree on
 * everything that follows, so no later value goes in). Each quoted value is fed back
 * through the machine, which must end where it started; renderShell also runs a second
 * machine with neutral values and requires both to agree at every line.
 */
type Frame =
  | { k: 'U' } // unquoted, top level
  // inside $( ... ), $(( ... )) or (( ... )): unquoted rules, ends at the matching ).
  // `cases` counts open case...esac, whose `pattern)` closes no paren; `arith` has no
  // heredocs or comments; `sub` (a $ substitution) continues the word it is in.
  | { k: 'C'; depth: number; cases: number; arith: boolean; sub: boolean }
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
  /** Set once the command holds $'...\'...', which sh and bash split differently. */
  private ambiguous = false;
  private prev = '\n';
  private pending: Heredoc[] = [];
  /** Text of the current heredoc body line so far, and whether it ends in a backslash. */
  private line = '';
  private lineBackslash = false;

  private get top(): Frame {
    return this.stack[this.stack.length - 1];
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (this.heredocLine(text[i])) continue;
      const last = this.step(text, i);
      if (last > i && this.stack.some(f => f.k === 'H')) this.line += text.slice(i + 1, last + 1);
      i = last;
    }
  }

  /**
   * A heredoc body ends at the first line equal to its delimiter, whatever `$(`, `${` or
   * quotes that body holds (the shell reads the lines before parsing them), so lines
   * are tracked apart from the frames. Returns true when `c` ended the body.
   */
  private heredocLine(c: string): boolean {
    const at = this.stack.findIndex(f => f.k === 'H');
    if (at < 0) return false;
    const h = this.stack[at] as Extract<Frame, { k: 'H' }>;
    if (this.lineBackslash) {
      this.lineBackslash = false;
      if (c === '\n') this.line = this.line.slice(0, -1); // \-newline joins lines
      else this.line += c;
      return false;
    }
    if (c !== '\n') {
      this.line += c;
      this.lineBackslash = h.expand && c === '\\';
      return false;
    }
    const line = h.strip ? this.line.replace(/^\t+/, '') : this.line;
    this.line = '';
    if (line !== h.delim) return false;
    this.stack.length = at;
    this.escaped = false;
    this.prev = '\n';
    if (this.pending.length > 0) this.startHeredoc();
    return true;
  }

  /**
   * The value written for the current context; throws UnsafeShellValue where none is safe.
   * `next` is the character the command continues with after the value, if known.
   */
  quote(value: string, next = ''): string {
    if (this.escaped) throw new UnsafeShellValue('it directly follows a backslash');
    if (this.ambiguous) throw new UnsafeShellValue("an earlier $'...' holding \\' is read differently by sh and bash");
    const top = this.top;
    let out: string;
    switch (top.k) {
      case 'U':
      case 'C':
        if (top.k === 'C' && top.arith) {
          // Arithmetic evaluates names and subscripts (a[$(cmd)]): only numbers go in.
          if (!/^[-+]?(?:[0-9]+|0[xX][0-9a-fA-F]+)$/.test(value)) throw new UnsafeShellValue('it is inside $(( )) and is not a number');
          out = value;
        } else {
          out = asWord(value, next);
        }
        break;
      case 'P':
        // Within "${X:- }" bash wants single quotes paired; nested "..." work in bash and dash.
        if (top.dq) out = `"${value.replace(/[\\"$`]/g, '\\$&')}"`;
        else out = asWord(value, next);
        break;
      case 'S':
        out = value.replaceAll("'", "'\\''");
        break;
      case 'D':
        out = value.replace(/[\\"$`]/g, '\\$&');
        break;
      case 'H':
        out = top.expand ? value.replace(/[\\$`]/g, '\\$&') : value;
        break;
      case '#':
        out = `'${value.replace(/[\r\n]/g, ' ').replaceAll("'", "'\\''")}'`;
        break;
      case 'B':
        throw new UnsafeShellValue('it is inside backticks; use $( ... ) instead');
      case 'A':
        throw new UnsafeShellValue("it is inside $'...', which sh and bash read differently; use '...' or \"...\"");
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

  /** Whether the shell takes the text here as it is, `$` included: in '...' or a heredoc with a quoted delimiter. */
  get literal(): boolean {
    const top = this.top;
    return top.k === 'S' || (top.k === 'H' && !top.expand);
  }

  /** The quoting state, for comparing two machines or a machine before and after a value. */
  signature(): string {
    const frames = this.stack.map(f => (f.k === 'C' ? `C${f.depth}.${f.cases}` : f.k));
    return `${frames.join('')}|${this.pending.length}|${this.escaped}|${this.ambiguous}|${this.lineBackslash}`;
  }

  /** Reads text[i]; returns the index of the last character consumed. */
  private step(text: string, i: number): number {
    const c = text[i];
    const top = this.top;
    if (this.escaped) {
      this.escaped = false;
      if (top.k === 'A' && c === "'") this.ambiguous = true;
      this.prev = 'x';
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
    const wordStart = /[\s;&|()<>]/.test(this.prev);
    const code = top.k === 'U' || (top.k === 'C' && !top.arith); // where comments and heredocs exist
    this.prev = c;
    if (c === '\\') this.escaped = true;
    else if (c === "'") this.stack.push({ k: 'S' });
    else if (c === '"') this.stack.push({ k: 'D' });
    else if (c === '`') this.stack.push({ k: 'B' });
    else if (c === '#' && wordStart && code) this.stack.push({ k: '#' });
    else if (c === '$') return this.dollar(text, i, false);
    else if (c === '(' && wordStart && text[i + 1] === '(') {
      this.stack.push({ k: 'C', depth: 2, cases: 0, arith: true, sub: false });
      return i + 1;
    } else if (c === '(' && top.k === 'C') top.depth++;
    else if (c === ')' && top.k === 'C') {
      if (top.cases > 0 && top.depth === 1) return i; // a case pattern's )
      if (--top.depth === 0) {
        this.stack.pop();
        if (top.sub) this.prev = 'x';
      }
    } else if (top.k === 'C' && wordStart && keyword(text, i, 'case')) top.cases++;
    else if (top.k === 'C' && wordStart && top.cases > 0 && keyword(text, i, 'esac')) top.cases--;
    else if (c === '<' && text.startsWith('<<<', i)) return i + 2;
    else if (c === '<' && text.startsWith('<<', i) && code) return this.heredocStart(text, i);
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
      const arith = text[i + 2] === '(';
      this.stack.push({ k: 'C', depth: arith ? 2 : 1, cases: 0, arith, sub: true });
      this.prev = '(';
      return i + (arith ? 2 : 1);
    }
    if (next === '{') {
      this.stack.push({ k: 'P', dq });
      this.prev = 'x';
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
    // A heredoc inside a heredoc body (in a `$( )` there) is more than this machine follows.
    if (this.stack.some(f => f.k === 'H')) this.ambiguous = true;
    else if (delim) this.pending.push({ delim, strip, expand: !quoted });
    this.prev = 'x';
    return j - 1;
  }

  private startHeredoc(): void {
    const next = this.pending.shift()!;
    this.stack.push({ k: 'H', ...next });
    this.line = '';
    this.lineBackslash = false;
  }

  /** Lines are tracked by heredocLine; here only what expands in an unquoted body. */
  private inHeredoc(text: string, i: number, top: Extract<Frame, { k: 'H' }>): number {
    const c = text[i];
    if (!top.expand) return i;
    if (c === '\\') this.escaped = true;
    else if (c === '`') this.stack.push({ k: 'B' });
    else if (c === '$') return this.dollar(text, i, true);
    return i;
  }
}

const PLAIN = /^[A-Za-z0-9_@%+:,./-]+$/;
const RESERVED = new Set('case coproc do done elif else esac fi for function if in select then time until while'.split(' '));

/** A value that reads as itself unquoted: no shell syntax, no reserved word, and not
 * digits right before `<` or `>` (`2>file` would be a redirection). */
function plainWord(value: string, next: string): boolean {
  return PLAIN.test(value) && !RESERVED.has(value) && !(/^[0-9]+$/.test(value) && (next === '<' || next === '>'));
}

/** `value` as one shell word: as it is when plain, else in single quotes. */
function asWord(value: string, next: string): string {
  return plainWord(value, next) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * A value as one shell word, for the commands baton prints as hints (`baton logs RUN
 * 'patch[web3]'`): a task key with `[ ] * ? $`, a space or a quote would be globbed, split
 * or expanded by the shell the hint is pasted into.
 */
export function shellWord(value: string): string {
  return asWord(value, '');
}

/** Whether `word` starts at text[i] as a whole word. */
function keyword(text: string, i: number, word: string): boolean {
  return text.startsWith(word, i) && (i + word.length === text.length || /[\s;&|()]/.test(text[i + word.length]));
}
