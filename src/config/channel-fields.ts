/**
 * The checks every kind of notification channel shares (config/channel-kinds.ts): unknown
 * settings with a hint (a secret written in clear is told where it goes instead), strings,
 * environment variable names, file paths, "one of these" groups, secrets as `<field>_env` or
 * `<field>_file`, and http(s) URLs. Each problem is reported where it is (file:line:col),
 * and marks the channel as not taken. Pure.
 */
import type { Reporter } from '../spec/diagnostics.js';
import type { Loc } from '../spec/positions.js';
import { ENV_NAME } from '../spec/schema-workflow-notify.js';
import { didYouMean } from '../spec/suggest.js';

export type Map = Record<string, unknown>;

export function isMap(value: unknown): value is Map {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The hint for a secret written in clear: where it goes instead. */
export function clearSecretHint(what: string, field: string): string {
  return `${what} is never written here: put it in an environment variable named by ${field}_env, or in a file named by ${field}_file`;
}

export class ChannelFields {
  /** False once a problem was reported. */
  ok = true;

  constructor(
    readonly rep: Reporter,
    readonly map: Map,
    /** `notifications.channels.ops`, for messages. */
    readonly where: string,
  ) {}

  fail(at: Loc, message: string, hint?: string): void {
    this.rep.error('CONFIG_TYPE', message, at, hint);
    this.ok = false;
  }

  /** Reports settings not in `allowed`; `hints` has a hint for some (a secret in clear), else the list. */
  unknown(allowed: readonly string[], hints: Record<string, string> = {}): void {
    for (const key of Object.keys(this.map)) {
      if (allowed.includes(key)) continue;
      const hint = hints[key] ?? `the settings of this kind of channel are: ${allowed.join(', ')}`;
      this.rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting '${this.where}.${key}'${didYouMean(key, [...allowed])}`, this.rep.key(this.map, key), hint);
      this.ok = false;
    }
  }

  /** A string (a number is taken as its text) without line breaks or NUL bytes; undefined when absent or wrong. */
  text(key: string, what = 'a string'): string | undefined {
    const value = this.map[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must be ${what}`);
      return undefined;
    }
    const text = String(value);
    if (text.trim() === '' || /[\r\n\0]/.test(text)) {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must be ${what} on one line, not empty`);
      return undefined;
    }
    return text;
  }

  envName(key: string): string | undefined {
    const value = this.map[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !ENV_NAME.test(value)) {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must name an environment variable (letters, digits, _)`);
      return undefined;
    }
    return value;
  }

  filePath(key: string): string | undefined {
    const value = this.map[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must be a file's path (relative to baton.config.yaml, or absolute)`);
      return undefined;
    }
    return value;
  }

  /**
   * Which of `keys` is given: at most one, and one when `needed` (reported at the channel,
   * `at`, with `hint`). Undefined when none is, or several are.
   */
  oneOf(keys: readonly string[], needed: { at: Loc; hint: string } | undefined): string | undefined {
    const given = keys.filter((key) => this.map[key] !== undefined);
    const list = keys.length === 2 ? `${keys[0]} or ${keys[1]}` : `${keys.slice(0, -1).join(', ')} or ${keys.at(-1)}`;
    if (given.length > 1) {
      const which = keys.length === 2 ? `either ${list}, not both` : `one of ${list}, not ${given.join(' and ')}`;
      this.fail(this.rep.key(this.map, given[1]), `\`${this.where}\`: give ${which}`);
      return undefined;
    }
    if (given.length === 0 && needed !== undefined) this.fail(needed.at, `\`${this.where}\` needs ${list}`, needed.hint);
    return given[0];
  }

  /** `<field>_env` or `<field>_file` (at most one): the parsed pair, undefined values left out. */
  secret(field: string): { env?: string; file?: string } {
    this.oneOf([`${field}_env`, `${field}_file`], undefined);
    const env = this.envName(`${field}_env`);
    const file = this.filePath(`${field}_file`);
    return { ...(env === undefined ? {} : { env }), ...(file === undefined ? {} : { file }) };
  }

  /** An http:// or https:// URL written here. */
  httpUrl(key: string): string | undefined {
    const value = this.map[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^https?:\/\/[^/\s]/i.test(value)) {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must be an http:// or https:// URL`, `a URL holding a token is better kept out of this file: ${key}_env (an environment variable) or ${key}_file`);
      return undefined;
    }
    return value;
  }

  /** `headers: {name: value}`: strings or numbers, no line breaks or NUL bytes. */
  headers(key: string): Record<string, string> {
    const headers: Record<string, string> = {};
    const value = this.map[key];
    if (value === undefined) return headers;
    if (!isMap(value)) {
      this.fail(this.rep.value(this.map, key), `\`${this.where}.${key}\` must be a mapping of header name: value`);
      return headers;
    }
    for (const [header, text] of Object.entries(value)) {
      if (typeof text !== 'string' && typeof text !== 'number') this.fail(this.rep.value(value, header), `header "${header}" of \`${this.where}\` must be a string`);
      else if (/[\r\n\0]/.test(String(text))) this.fail(this.rep.value(value, header), `header "${header}" of \`${this.where}\` holds a line break or a NUL byte`);
      else headers[header] = String(text);
    }
    return headers;
  }
}
