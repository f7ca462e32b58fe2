/**
 * The outputs a process hands back through the file named by $BATON_OUTPUT. Three
 * forms, as GitHub Actions' $GITHUB_OUTPUT plus JSON:
 *
 *   name=value            one line per output (later lines win)
 *   notes<<EOF            a multi-line value, up to a line that is exactly the delimiter
 *   ...
 *   EOF
 *   {"name": "value"}     one JSON object (the whole file, first non-blank char `{`)
 *
 * In the line forms, `progress=` and `progress_message=` lines are the task's progress
 * (progress-input.ts), read while it runs (outputs-watch.ts), and are not outputs.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { DataError, parseJson } from '../expr/safe-json.js';
import { ExecutorError } from './errors.js';
import { PROGRESS_NAMES } from './progress-input.js';

/** Largest outputs file read: 1 MiB. Outputs are stored in events; big data belongs in files. */
export const OUTPUTS_MAX_BYTES = 1024 * 1024;

/** The parsed file, or undefined when the process never created it or left it blank. */
export async function readOutputsFile(file: string): Promise<Record<string, unknown> | undefined> {
  // Most tasks write no outputs: a ~3 µs stat answers that, where a failed async read
  // costs a thread-pool round trip (~80 µs) on every task.
  const stat = statSync(file, { throwIfNoEntry: false });
  if (stat === undefined || stat.size === 0) return undefined;
  if (stat.size > OUTPUTS_MAX_BYTES) {
    throw outputError(`the outputs file ($BATON_OUTPUT) has ${stat.size} bytes; the limit is ${OUTPUTS_MAX_BYTES} (outputs are stored in the run's events)`);
  }
  const text = await readFile(file, 'utf8');
  if (text.trim() === '') return undefined;
  return parseOutputs(text);
}

export function parseOutputs(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonObject(trimmed);
  return parseLines(text);
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJson(text, 'the outputs file ($BATON_OUTPUT)');
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw outputError(`the outputs file ($BATON_OUTPUT) is not valid JSON: ${(err as Error).message}`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw outputError('the outputs file ($BATON_OUTPUT) must hold one JSON object');
  }
  return value as Record<string, unknown>;
}

/** A `name=value` or `name<<DELIMITER` line. */
export const OUTPUT_LINE = /^([A-Za-z_][\w.-]*)(?:=(.*)|<<(.+))$/;

function parseLines(text: string): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const match = OUTPUT_LINE.exec(line);
    if (!match) {
      throw outputError(
        `line ${i + 1} of the outputs file ($BATON_OUTPUT) is neither name=value nor name<<DELIMITER: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const [, name, value, delimiter] = match;
    if (name === '__proto__') throw outputError(`line ${i + 1} of $BATON_OUTPUT: "__proto__" is not allowed as an output name`);
    if (delimiter === undefined) {
      if (!PROGRESS_NAMES.has(name)) outputs[name] = value;
      continue;
    }
    const end = lines.indexOf(delimiter, i + 1);
    if (end < 0) {
      throw outputError(`output "${name}" (line ${i + 1} of $BATON_OUTPUT) has no closing line "${delimiter}"`);
    }
    outputs[name] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return outputs;
}

function outputError(message: string, cause?: unknown): ExecutorError {
  return new ExecutorError('SCRIPT_OUTPUT', `${message}; write name=value lines or one JSON object`, {
    retryable: false,
    cause,
  });
}
