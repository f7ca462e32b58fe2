// find-errors: reads log files a chunk at a time, keeps the lines that match `pattern`
// (ERROR, FATAL and CRITICAL lines by default), and groups them by error type: the name of
// an exception when the line has one (java.io.IOException, TypeError), else the message
// with what varies between two errors of one kind (numbers, hex, UUIDs, IP addresses,
// times, quoted strings) replaced by placeholders. Only the groups come back, the largest
// first, each with its count, its first and last occurrence and one sample line.
//
// Memory stays bounded whatever the size of the logs: lines are read from a stream and
// cut at MAX_LINE bytes (a file with no line breaks is not read whole, which readline
// would do), and at most `max_groups` distinct types are kept; errors of further types
// are counted in one group, `(other)`.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { SkillError, badInput, booleanInput, input, main, numberInput } from './lib.mjs';

/** What an error line is, unless `pattern` says otherwise (workflow.yaml has the same default). */
const DEFAULT_PATTERN = String.raw`\b(?:ERROR|FATAL|CRITICAL)\b|\blevel=(?:error|fatal)\b|"level":\s*"(?:error|fatal)"`;
const MAX_LINE = 64 * 1024;
const TYPE_LENGTH = 200;
const SAMPLE_LENGTH = 300;
const OTHER = '(other)';

main(async () => {
  const pattern = input('pattern', DEFAULT_PATTERN);
  const ignoreCase = booleanInput('ignore_case', false);
  const top = numberInput('top', 50, { min: 1, max: 1000, integer: true });
  const maxGroups = numberInput('max_groups', 10_000, { min: 1, max: 100_000, integer: true });
  let matcher;
  try {
    matcher = new RegExp(pattern, ignoreCase ? 'i' : '');
  } catch (err) {
    throw badInput(`input pattern is not a valid regular expression: ${err.message}`);
  }
  const where = input('path');
  const files = expand(where, process.cwd());
  if (files.length === 0) {
    throw new SkillError('NO_FILES', `no file matches ${JSON.stringify(where)} in ${process.cwd()}: give a file or a glob (logs/*.log, /var/log/app/**/*.log.gz) relative to the folder the skill runs in`, 2);
  }

  const groups = new Map();
  const scan = { lines: 0, bytes: 0, total: 0 };
  for (const [index, file] of files.entries()) {
    await readLines(file, scan, (line, lineNo) => {
      if (!matcher.test(line)) return;
      scan.total++;
      const { type, at } = classify(line, matcher);
      let group = groups.get(type);
      if (group === undefined) {
        const key = groups.size < maxGroups ? type : OTHER;
        group = groups.get(key);
        if (group === undefined) {
          group = { type: key, count: 0, first: { file: index, line: lineNo, at }, last: undefined, sample: line.slice(0, SAMPLE_LENGTH) };
          groups.set(key, group);
        }
      }
      group.count++;
      group.last = { file: index, line: lineNo, at };
    });
  }

  const ranked = [...groups.values()].sort((a, b) => b.count - a.count || a.first.file - b.first.file || a.first.line - b.first.line);
  const place = ({ file, line, at }) => ({ file: files[file], line, ...(at === undefined ? {} : { at }) });
  return {
    total: scan.total,
    distinct: groups.size,
    other: groups.get(OTHER)?.count ?? 0,
    groups: ranked.slice(0, top).map((g) => ({ type: g.type, count: g.count, first: place(g.first), last: place(g.last), sample: g.sample })),
    truncated: ranked.length > top,
    files: files.length,
    lines: scan.lines,
    bytes: scan.bytes,
  };
});

/** Calls `onLine` for every line of `file` (gunzipped when it ends in .gz), at most MAX_LINE bytes of each. */
async function readLines(file, scan, onLine) {
  let stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  if (file.endsWith('.gz')) {
    const source = stream;
    stream = source.pipe(createGunzip());
    source.on('error', (err) => stream.destroy(err));
  }
  let lineNo = 0;
  let pending = []; // the start of a line that goes on in the next chunk
  let pendingBytes = 0;
  const emit = (text) => onLine(text.endsWith('\r') ? text.slice(0, -1) : text, ++lineNo);
  try {
    for await (const chunk of stream) {
      scan.bytes += chunk.length;
      let start = 0;
      let end;
      while ((end = chunk.indexOf(10, start)) !== -1) {
        if (pendingBytes === 0) {
          emit(chunk.toString('utf8', start, Math.min(end, start + MAX_LINE)));
        } else {
          pending.push(chunk.subarray(start, Math.min(end, start + Math.max(0, MAX_LINE - pendingBytes))));
          emit(Buffer.concat(pending).toString('utf8'));
          pending = [];
          pendingBytes = 0;
        }
        start = end + 1;
      }
      if (start < chunk.length && pendingBytes < MAX_LINE) {
        const piece = chunk.subarray(start, Math.min(chunk.length, start + MAX_LINE - pendingBytes));
        pending.push(piece);
        pendingBytes += piece.length;
      } else if (start < chunk.length) {
        pendingBytes += 1; // the line goes on past MAX_LINE: the rest is skipped
      }
    }
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'it is gone' : err.code === 'EACCES' ? 'permission denied' : err.code?.startsWith('Z_') ? `it is not valid gzip (${err.message})` : err.message;
    throw new SkillError('READ_FAILED', `cannot read ${file}: ${why}`);
  }
  if (pendingBytes > 0) emit(Buffer.concat(pending).toString('utf8'));
  scan.lines += lineNo;
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG_TIME = /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}/;
const EXCEPTION = /\b(?:[a-z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error)\b/;
const VARIABLE = [
  [new RegExp(ISO_TIME.source, 'g'), '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>'],
  [/\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
  [/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '<str>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
  [/\s+/g, ' '],
];

/** An error line's type and, when it has one, its time. */
function classify(line, matcher) {
  let message;
  let at;
  const json = line.trimStart().startsWith('{') ? parseJson(line) : undefined;
  if (json !== undefined) {
    at = firstString(json, ['timestamp', '@timestamp', 'time', 'ts', 'date']);
    message = firstString(json, ['msg', 'message', 'error', 'err', 'exception']);
  }
  at ??= ISO_TIME.exec(line.slice(0, 120))?.[0] ?? SYSLOG_TIME.exec(line)?.[0];
  if (message === undefined) {
    // The message is what follows the level (`... ERROR api request failed`), else the line.
    const match = matcher.exec(line);
    const after = match ? line.slice(match.index + match[0].length).replace(/^[\s:\]|-]+/, '') : '';
    message = after.trim() !== '' ? after : at === undefined ? line : line.replace(at, '');
  }
  const exception = message.includes('Error') || message.includes('Exception') ? EXCEPTION.exec(message)?.[0] : undefined;
  if (exception !== undefined) return { type: exception, at };
  let type = message;
  for (const [re, placeholder] of VARIABLE) type = type.replace(re, placeholder);
  type = type.trim().slice(0, TYPE_LENGTH);
  return { type: type === '' ? '(empty message)' : type, at };
}

function parseJson(line) {
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function firstString(object, keys) {
  for (const key of keys) if (typeof object[key] === 'string' && object[key] !== '') return object[key];
  return undefined;
}

/** The files `pattern` names: a file, or a glob (`*`, `?`, `[abc]`, `**` for any folders), sorted. */
function expand(pattern, cwd) {
  const absolute = path.isAbsolute(pattern);
  const segments = pattern.split(/[\\/]+/).filter((s, i) => s !== '' || i === 0);
  if (!segments.some(isMagic)) {
    const full = path.resolve(cwd, pattern);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw badInput(`input path: ${pattern} is a folder: give a file, or a glob such as ${path.join(pattern, '*.log')}`);
    return stat?.isFile() ? [pattern] : [];
  }
  const found = new Set();
  const start = absolute ? path.parse(pattern).root : '';
  walk(start, absolute ? segments.slice(1) : segments, 0, cwd, found);
  return [...found].sort();
}

const isMagic = (segment) => /[*?[]/.test(segment);

function walk(relative, segments, i, cwd, found) {
  const full = path.resolve(cwd, relative || '.');
  if (i === segments.length) {
    if (statSync(full, { throwIfNoEntry: false })?.isFile()) found.add(relative);
    return;
  }
  const segment = segments[i];
  if (segment === '**') {
    walk(relative, segments, i + 1, cwd, found);
    for (const entry of list(full)) if (entry.isDirectory() && !entry.name.startsWith('.')) walk(path.join(relative, entry.name), segments, i, cwd, found);
    return;
  }
  if (!isMagic(segment)) return walk(path.join(relative, segment), segments, i + 1, cwd, found);
  const re = globSegment(segment);
  for (const entry of list(full)) if (re.test(entry.name)) walk(path.join(relative, entry.name), segments, i + 1, cwd, found);
}

function list(dir) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** One glob segment as a regex; as in a shell, `*` and `?` match no leading dot. */
function globSegment(segment) {
  let re = segment.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        const body = segment.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
