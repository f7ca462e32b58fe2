// Helpers of baton's built-in skills: inputs, outputs and errors. Every built-in skill
// carries its own copy of this file, so each skill folder stands alone (the Agent Skills
// format moves a skill as one folder); baton's tests check that the copies are identical.
//
// Inputs arrive as INPUT_<NAME> environment variables (the workflow passes them with its
// `environment:`, never inside command text); outputs leave as one JSON object in the file
// named by $BATON_OUTPUT (printed on stdout when the script runs outside baton); an error
// is one line on stderr, `<skill>: <what is wrong and what to do> [CODE]`, and exit 1
// (the work failed) or 2 (bad input, or a program the skill needs is missing).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SKILL = path.basename(path.dirname(path.dirname(fileURLToPath(import.meta.url))));

/** A failure the skill explains: `code` is stable, `exitCode` 1 for failed work, 2 for bad input. */
export class SkillError extends Error {
  constructor(code, message, exitCode = 1) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

export const badInput = (message) => new SkillError('BAD_INPUT', message, 2);

/** Runs the skill's work; writes what it returns as the outputs, or reports its error. */
export async function main(work) {
  try {
    await null; // the rest of the script's module is evaluated first (its constants exist)
    writeOutputs(await work());
  } catch (err) {
    const known = err instanceof SkillError;
    const message = known ? `${err.message} [${err.code}]` : `unexpected error: ${err?.stack ?? err}`;
    process.stderr.write(`${SKILL}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = known ? err.exitCode : 1;
  }
}

export function writeOutputs(outputs) {
  const text = JSON.stringify(outputs);
  if (process.env.BATON_OUTPUT) writeFileSync(process.env.BATON_OUTPUT, text);
  else process.stdout.write(text + '\n');
}

/** The input `name` as given (INPUT_<NAME>), or `fallback` when it is unset or blank. */
export function input(name, fallback) {
  const value = process.env[`INPUT_${name.toUpperCase()}`];
  if (value === undefined || value.trim() === '') {
    if (fallback === undefined) throw badInput(`input ${name} is required: pass it with ${name}: ... (with:), or --with ${name}=...`);
    return fallback;
  }
  return value;
}

export function numberInput(name, fallback, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const text = input(name, fallback === undefined ? undefined : String(fallback)).trim();
  const value = Number(text);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const range = `${min === -Infinity ? '' : `from ${min}`}${max === Infinity ? '' : ` to ${max}`}`.trim();
    throw badInput(`input ${name}: ${JSON.stringify(text)} is not ${integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`);
  }
  return value;
}

export function booleanInput(name, fallback) {
  const text = input(name, String(fallback)).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw badInput(`input ${name}: ${JSON.stringify(text)} is not a boolean: write true or false`);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: `500ms`, `5s`, `1m30s`, `2h`, or a bare number of seconds. */
export function durationInput(name, fallback) {
  const text = input(name, fallback).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*/y;
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (!match) throw badInput(`input ${name}: ${JSON.stringify(text)} is not a duration: write 500ms, 5s, 1m30s, 2h, or a number of seconds`);
    ms += Number(match[1]) * UNIT_MS[match[2]];
    at = part.lastIndex;
  }
  return ms;
}

/** A duration for messages: 1500 -> "1.5s", 90000 -> "90s". */
export const seconds = (ms) => `${Number((ms / 1000).toFixed(3))}s`;
