/**
 * The on-disk log format. Each attempt of a task has one file, `<logs>/<run>/<task>.<attempt>.log`:
 *
 *     baton-log 1 {"task":"envs[qa]","attempt":1}
 *     1732290000123 o first line of stdout
 *     1732290000125 e a line of stderr
 *
 * The first line names the task (file names are encoded, and may be shortened), then one
 * line per output line: the time it was written (ms since epoch), the stream (o/e), the
 * text. Lines are only ever appended, whole, in time order; a reader trusts a line once its
 * '\n' is there, so a half-written last line is never shown.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { LogStream } from '../store.js';

export const LOG_FORMAT = 'baton-log 1';

/** Longest encoded task key kept as is in a file name (names stay well under 255 bytes). */
const MAX_NAME = 120;

/** A run's log folder. */
export function runLogDir(logsDir: string, runId: string): string {
  return path.join(logsDir, encodeName(runId));
}

/**
 * The start of the file names of a task's attempts. Keys are percent-encoded outside
 * [A-Za-z0-9._-]; a key with capitals (case-insensitive file systems) or a very long one
 * gets a hash so names never clash.
 */
export function taskFileBase(task: string): string {
  const name = encodeName(task);
  if (name.length <= MAX_NAME && !/[A-Z]/.test(task)) return name;
  const hash = createHash('sha256').update(task).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX_NAME)}~${hash}`;
}

export function attemptFileName(task: string, attempt: number): string {
  return `${taskFileBase(task)}.${attempt}.log`;
}

/** Does this file name belong to an attempt of the task whose `taskFileBase` is `base`? */
export function isFileOfTask(fileName: string, base: string): boolean {
  return fileName.startsWith(base) && /^\.\d+\.log$/.test(fileName.slice(base.length));
}

export function isLogFileName(fileName: string): boolean {
  return /\.\d+\.log$/.test(fileName);
}

function encodeName(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) || (c === '.' && out !== '') ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function headerLine(task: string, attempt: number): string {
  return `${LOG_FORMAT} ${JSON.stringify({ task, attempt })}\n`;
}

/** The task and attempt a header line names, or undefined if it is not one. */
export function parseHeader(line: string): { task: string; attempt: number } | undefined {
  if (!line.startsWith(`${LOG_FORMAT} `)) return undefined;
  try {
    const parsed = JSON.parse(line.slice(LOG_FORMAT.length + 1)) as { task?: unknown; attempt?: unknown };
    if (typeof parsed.task === 'string' && typeof parsed.attempt === 'number') return { task: parsed.task, attempt: parsed.attempt };
  } catch {
    // not a header
  }
  return undefined;
}

/** The prefix of every line of a block written at `at` to `stream`. */
export function linePrefix(at: number, stream: LogStream): string {
  return `${at} ${stream === 'stdout' ? 'o' : 'e'} `;
}

/** A stored line (without its '\n') as time, stream and text; undefined if it is malformed. */
export function parseLine(line: string): { at: number; stream: LogStream; text: string } | undefined {
  const space = line.indexOf(' ');
  if (space <= 0 || line.charCodeAt(space + 2) !== 32) return undefined;
  const at = Number(line.slice(0, space));
  const s = line.charCodeAt(space + 1);
  if (!Number.isFinite(at) || (s !== 111 && s !== 101)) return undefined;
  return { at, stream: s === 111 ? 'stdout' : 'stderr', text: line.slice(space + 3) };
}
