/**
 * What baton needs to know about the text of a sql task's SQL, without parsing SQL: where
 * its placeholders (`:name`, `$1`, `?`) and statement-ending semicolons are, skipping
 * string literals, quoted identifiers and comments as each database reads them. Named
 * placeholders are rewritten to the database's positional ones here, so a value is always
 * bound by the driver, never written into the text.
 *
 * Also which database a connection string is for, and the same string with its password
 * hidden: both needed at load time (a literal connection is checked) and at run time.
 */

export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

export interface SqlMark {
  /** `;` ends a statement; `named` is `:name`; `dollar` is PostgreSQL's `$1`; `question` is `?` (or SQLite's `?3`). */
  kind: 'semicolon' | 'named' | 'dollar' | 'question';
  start: number;
  end: number;
  /** The name of a named mark; the number of a dollar mark or of SQLite's `?NNN`. */
  name?: string;
  number?: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/** The marks of `text` outside literals, identifiers and comments, in order. */
export function scanSql(text: string, dialect: SqlDialect): SqlMark[] {
  const marks: SqlMark[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-' && (dialect !== 'mysql' || i + 2 >= n || /\s/.test(text[i + 2]))) {
      i = lineEnd(text, i);
    } else if (c === '#' && dialect === 'mysql') {
      i = lineEnd(text, i);
    } else if (c === '/' && next === '*') {
      i = blockCommentEnd(text, i, dialect === 'postgres');
    } else if (c === "'") {
      // PostgreSQL reads backslashes as escapes only in E'...' strings; MySQL in every string.
      const escapes = dialect === 'mysql' || (dialect === 'postgres' && i > 0 && /[eE]/.test(text[i - 1]) && (i < 2 || !IDENT.test(text[i - 2])));
      i = quotedEnd(text, i, "'", escapes);
    } else if (c === '"') {
      i = quotedEnd(text, i, '"', dialect === 'mysql');
    } else if (c === '`' && dialect !== 'postgres') {
      i = quotedEnd(text, i, '`', false);
    } else if (c === '[' && dialect === 'sqlite') {
      const close = text.indexOf(']', i + 1);
      i = close === -1 ? n : close + 1;
    } else if (c === '$' && dialect === 'postgres' && next !== undefined && DIGIT.test(next) && (i === 0 || !IDENT.test(text[i - 1]))) {
      let end = i + 1;
      while (end < n && DIGIT.test(text[end])) end++;
      marks.push({ kind: 'dollar', start: i, end, number: Number(text.slice(i + 1, end)) });
      i = end;
    } else if (c === '$' && dialect === 'postgres' && (i === 0 || !IDENT.test(text[i - 1]))) {
      i = dollarQuoteEnd(text, i);
    } else if (c === ':' && next === ':') {
      i += 2; // a PostgreSQL cast (x::int), never a placeholder
    } else if (c === ':' && next !== undefined && IDENT_START.test(next) && (i === 0 || text[i - 1] !== ':')) {
      let end = i + 1;
      while (end < n && IDENT.test(text[end])) end++;
      marks.push({ kind: 'named', start: i, end, name: text.slice(i + 1, end) });
      i = end;
    } else if (c === '?' && dialect !== 'postgres') {
      let end = i + 1;
      while (dialect === 'sqlite' && end < n && DIGIT.test(text[end])) end++;
      const mark: SqlMark = { kind: 'question', start: i, end };
      if (end > i + 1) mark.number = Number(text.slice(i + 1, end));
      marks.push(mark);
      i = end;
    } else if (c === ';') {
      marks.push({ kind: 'semicolon', start: i, end: i + 1 });
      i++;
    } else {
      i++;
    }
  }
  return marks;
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end + 1;
}

function blockCommentEnd(text: string, from: number, nests: boolean): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth = nests ? depth + 1 : 1;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return text.length;
}

/** The end of a quoted run starting at `from`: a doubled quote is one character; with `escapes`, so is a backslash and what follows. */
function quotedEnd(text: string, from: number, quote: string, escapes: boolean): number {
  let i = from + 1;
  while (i < text.length) {
    const c = text[i];
    if (escapes && c === '\\') i += 2;
    else if (c === quote && text[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return text.length;
}

/** PostgreSQL's `$tag$ ... $tag$` (function bodies); a `$` that starts none is passed over. */
function dollarQuoteEnd(text: string, from: number): number {
  let i = from + 1;
  while (i < text.length && (i === from + 1 ? IDENT_START : IDENT).test(text[i])) i++;
  if (text[i] !== '$') return from + 1;
  const tag = text.slice(from, i + 1);
  const close = text.indexOf(tag, i + 1);
  return close === -1 ? text.length : close + tag.length;
}

export interface BoundSql {
  /** The text the driver gets: named placeholders replaced by positional ones. */
  text: string;
  /** The values in the order of the positional placeholders. */
  values: unknown[];
}

/** A statement's params that do not fit its placeholders. */
export class SqlParamsError extends Error {}

/**
 * The text and positional values for `params`. A list is bound as given (the query uses
 * the database's own placeholders); a mapping binds `:name`s, rewritten to `$n`
 * (PostgreSQL) or `?` (MySQL, SQLite: a name used twice gives its value twice).
 */
export function bindParams(text: string, dialect: SqlDialect, params: unknown[] | Record<string, unknown> | undefined): BoundSql {
  const marks = scanSql(text, dialect);
  const named = marks.filter((m) => m.kind === 'named');
  const positional = marks.filter((m) => m.kind === 'dollar' || m.kind === 'question');
  if (params === undefined || Array.isArray(params)) {
    const values = params ?? [];
    if (named.length > 0) {
      throw new SqlParamsError(`the SQL uses :${named[0].name}, a named placeholder: give params as a mapping (${named[0].name}: value)`);
    }
    const wanted = positionalCount(positional);
    if (wanted !== values.length) {
      const how = dialect === 'postgres' ? '$1, $2, ...' : '?';
      throw new SqlParamsError(`the SQL has ${wanted} placeholder${wanted === 1 ? '' : 's'} (${how}) and params gives ${values.length} value${values.length === 1 ? '' : 's'}`);
    }
    return { text, values };
  }
  if (positional.length > 0) {
    const shown = text.slice(positional[0].start, positional[0].end);
    throw new SqlParamsError(`the SQL uses ${shown}, a positional placeholder, and params is a mapping: use :name placeholders, or give params as a list`);
  }
  const missing = [...new Set(named.map((m) => m.name!).filter((name) => !Object.hasOwn(params, name)))];
  if (missing.length > 0) throw new SqlParamsError(`params has no value for ${missing.map((name) => `:${name}`).join(', ')}`);
  const used = new Set(named.map((m) => m.name!));
  const unused = Object.keys(params).filter((name) => !used.has(name));
  if (unused.length > 0) throw new SqlParamsError(`params ${unused.map((name) => `'${name}'`).join(', ')} ${unused.length === 1 ? 'is' : 'are'} not used by the SQL (it uses ${[...used].map((name) => `:${name}`).join(', ') || 'no :name'})`);
  const order: string[] = [];
  const values: unknown[] = [];
  let out = '';
  let at = 0;
  for (const mark of named) {
    let placeholder: string;
    if (dialect === 'postgres') {
      let index = order.indexOf(mark.name!);
      if (index === -1) index = order.push(mark.name!) - 1;
      placeholder = `$${index + 1}`;
    } else {
      values.push(params[mark.name!]);
      placeholder = '?';
    }
    out += text.slice(at, mark.start) + placeholder;
    at = mark.end;
  }
  out += text.slice(at);
  for (const name of order) values.push(params[name]);
  return { text: out, values };
}

function positionalCount(marks: SqlMark[]): number {
  let plain = 0;
  let highest = 0;
  for (const mark of marks) {
    if (mark.number === undefined) plain++;
    else highest = Math.max(highest, mark.number);
  }
  return Math.max(plain, highest);
}

/** The `:name`s of a query, where each stands (for load-time checks). */
export function namedPlaceholders(text: string, dialect: SqlDialect): SqlMark[] {
  return scanSql(text, dialect).filter((m) => m.kind === 'named');
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Which database a connection string is for, or undefined when it names none. A
 * `sqlite:` URL or a path ending .db, .sqlite or .sqlite3 is a SQLite file.
 */
export function sqlDialectOf(connection: string): SqlDialect | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(connection)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'sqlite' || scheme === 'sqlite3') return 'sqlite';
  if (/\.(db|sqlite|sqlite3)$/i.test(connection.trim()) && (scheme === undefined || scheme.length === 1)) return 'sqlite';
  return undefined;
}

/** The connection string with its password (in the URL or as `?password=`) shown as ***. */
export function redactConnection(connection: string): string {
  return connection.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/, '$1:***@').replace(/([?&](?:password|pass|pwd)=)[^&#]*/gi, '$1***');
}

/** The password a connection string holds, raw and decoded (to hide it in driver messages too); empty when none. */
export function connectionSecrets(connection: string): string[] {
  const found: string[] = [];
  const inUrl = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@?#]*:([^@/?#]*)@/.exec(connection)?.[1];
  if (inUrl) found.push(inUrl);
  for (const match of connection.matchAll(/[?&](?:password|pass|pwd)=([^&#]*)/gi)) if (match[1]) found.push(match[1]);
  for (const value of [...found]) {
    try {
      const decoded = decodeURIComponent(value);
      if (decoded !== value) found.push(decoded);
    } catch {
      // not percent-encoded: the raw value is hidden already
    }
  }
  return found;
}

/** Where each statement of a script starts: its first character that is not space or comment. */
export function statementStarts(text: string, dialect: SqlDialect): number[] {
  const starts: number[] = [];
  let from = 0;
  for (const end of [...scanSql(text, dialect).filter((m) => m.kind === 'semicolon').map((m) => m.end), text.length]) {
    const start = firstCode(text, from, end, dialect);
    if (start !== undefined) starts.push(start);
    from = end;
  }
  return starts;
}

/** The first character of `text[from, to)` that is neither space, comment nor `;`. */
export function firstCode(text: string, from: number, to: number, dialect: SqlDialect): number | undefined {
  let i = from;
  while (i < to) {
    if (/\s/.test(text[i])) i++;
    else if (text.startsWith('--', i) || (dialect === 'mysql' && text[i] === '#')) i = lineEnd(text, i);
    else if (text.startsWith('/*', i)) i = blockCommentEnd(text, i, dialect === 'postgres');
    else if (text[i] === ';') i++;
    else return i;
  }
  return undefined;
}

const TRANSACTION_CONTROL: Record<SqlDialect, RegExp> = {
  postgres: /^(begin|start\s+transaction|commit|end|rollback|abort)\b/i,
  mysql: /^(begin\s*(;|$|work\b)|start\s+transaction\b|commit\b|rollback\b)/i,
  // Not END: it closes a trigger's body as often as it commits.
  sqlite: /^(begin|commit|rollback)\b/i,
};

/** The first statement of `text` that begins, commits or rolls back a transaction itself, if any. */
export function transactionControl(text: string, dialect: SqlDialect): { offset: number; keyword: string } | undefined {
  for (const start of statementStarts(text, dialect)) {
    const match = TRANSACTION_CONTROL[dialect].exec(text.slice(start, start + 40));
    if (match) return { offset: start, keyword: match[1].replace(/[\s;]+$/, '').replace(/\s+/g, ' ').toUpperCase() };
  }
  return undefined;
}
