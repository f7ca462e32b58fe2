import { EngineError } from './errors.js';

export const MASK = '***';

/**
 * Hides secret values: every occurrence of one becomes `***` in task output, events and
 * what the terminal shows. Values shorter than MIN_SECRET_LENGTH are not masked (masking
 * "1" would wreck every log); a multi-line secret is masked line by line too, since
 * output is masked a line at a time.
 */
const MIN_SECRET_LENGTH = 3;

export class Masker {
  private readonly pattern: RegExp;

  private constructor(values: string[]) {
    const escaped = values.sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(escaped.join('|'), 'g');
  }

  /** A masker for these values, or undefined when there is nothing to mask. */
  static of(values: Iterable<string>): Masker | undefined {
    const set = new Set<string>();
    for (const value of values) {
      for (const part of [value, ...value.split(/\r?\n/)]) if (part.length >= MIN_SECRET_LENGTH) set.add(part);
    }
    return set.size > 0 ? new Masker([...set]) : undefined;
  }

  text(text: string): string {
    this.pattern.lastIndex = 0;
    return this.pattern.test(text) ? text.replace(this.pattern, MASK) : text;
  }

  /** A copy of a JSON-like value with every string masked (keys too). */
  deep<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.deep(v)) as T;
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.deep(v);
      return out as T;
    }
    return value;
  }
}

/**
 * Masks a stream of output chunks a line at a time, so a secret split across two chunks
 * is still caught. A line longer than MAX_HELD is let through in pieces rather than held.
 */
export class LineMasker {
  private held = '';

  constructor(
    private readonly masker: Masker,
    private readonly out: (chunk: string) => void,
  ) {}

  write(chunk: string): void {
    const text = this.held + chunk;
    const end = text.lastIndexOf('\n') + 1;
    if (end > 0) this.out(this.masker.text(text.slice(0, end)));
    this.held = text.slice(end);
    if (this.held.length > MAX_HELD) this.flush();
  }

  flush(): void {
    if (this.held.length > 0) this.out(this.masker.text(this.held));
    this.held = '';
  }
}

const MAX_HELD = 64 * 1024;

/**
 * The values of a workflow's `secrets:` from the environment. A missing one is an error
 * before anything runs, saying how to provide it.
 */
export function secretValues(names: readonly string[] | undefined, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names ?? []) {
    const value = env[name];
    if (value === undefined || value === '') missing.push(name);
    else out[name] = value;
  }
  if (missing.length > 0) {
    throw new EngineError(
      'INPUT_SECRET_MISSING',
      `secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not set: the workflow lists ${missing.length > 1 ? 'them' : 'it'} under \`secrets:\`; set ${missing.length > 1 ? 'them' : 'it'} in the environment of baton (export ${missing[0]}=...)`,
      { details: { secrets: missing } },
    );
  }
  return out;
}
