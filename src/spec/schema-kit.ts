/**
 * Building blocks for the zod schemas of the file formats. Every schema here describes
 * what a *file* may say (aliases and shorthands included), so the JSON Schema generated
 * from it is right for editors; normalize.ts then turns files into the model.
 *
 * Custom messages may start with `[SPEC_CODE]` to choose the diagnostic code.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import { QUEUE_NAME } from './queue-name.js';

// A workflow file is checked once per command: zod's JIT (which compiles each schema with
// `new Function` on first use) costs more than it saves here, and baton allows no runtime
// code generation.
z.config({ jitless: true });

/** Raw object -> the fields its strict schema allows (filled when zod reports unknown keys). */
const allowed = new WeakMap<object, readonly string[]>();

export function allowedKeys(raw: object): readonly string[] | undefined {
  return allowed.get(raw);
}

/** A strict object: unknown keys are errors, reported with a did-you-mean. */
export function strict<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && typeof issue.input === 'object' && issue.input !== null) allowed.set(issue.input, keys);
      return undefined;
    },
  });
}

/** A message for values of the wrong type: `expected a list of task ids` (", got a number" is added later). */
export function expected(text: string) {
  return { error: (issue: { code: string }) => (issue.code === 'invalid_type' || issue.code === 'invalid_union' ? text : undefined) };
}

export const str = (description: string, what = 'expected a string') => z.string(expected(what)).describe(description);
export const bool = (description: string) => z.boolean(expected('expected true or false')).describe(description);
export const positiveInt = (description: string) =>
  z.number(expected('expected a whole number')).int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }).describe(description);

/** Durations: a number in `bareUnit`, or a string with units. */
export function duration(description: string, bareUnit: 'ms' | 's') {
  const bare = bareUnit === 's' ? 'seconds' : 'milliseconds';
  return z
    .union(
      [
        z.number().min(0, { error: '[SPEC_DURATION] a duration cannot be negative' }),
        z.string().regex(new RegExp(DURATION_PATTERN), { error: `[SPEC_DURATION] invalid duration: use 500ms, 30s, 5m, 1h, 1h30m or a number of ${bare}` }),
      ],
      expected(`expected a duration (500ms, 30s, 5m, 1h) or a number of ${bare}`),
    )
    .describe(`${description} A number is in ${bare}; or a string such as 500ms, 30s, 5m, 1h, 1h30m.`);
}

export { QUEUE_NAME } from './queue-name.js';

/** A `queue:` field; a name it does not allow is SPEC_BAD_QUEUE, saying which rule it breaks. */
export const queueName = (description: string) =>
  z
    .string(expected('expected a queue name'))
    .regex(QUEUE_NAME, { error: (issue) => `[SPEC_BAD_QUEUE] ${badQueue(String(issue.input))}` })
    .describe(description);

function badQueue(name: string): string {
  if (name === '') return 'a queue name cannot be empty';
  if (name.length > 64) return `a queue name has at most 64 characters; '${name.slice(0, 20)}...' has ${name.length}`;
  return `'${name}' is not a queue name: use letters, digits, -, _ and . (gpu, build.linux-x64)`;
}

/** One id or a list of ids. */
export const idList = (description: string) =>
  z
    .union([z.string(), z.array(z.string(expected('expected a task id')))], expected('expected a task id or a list of task ids'))
    .describe(description);

/** Environment-style maps: values may be strings, numbers or booleans (turned into strings). */
export const envMap = (description: string) =>
  z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()], expected('expected a string, number or boolean')), expected('expected a mapping of NAME: value'))
    .describe(description);

export const stringMap = (description: string, what: string) =>
  z.record(z.string(), z.string(expected(`expected a string (${what})`)), expected('expected a mapping of name: value')).describe(description);

/** Failures a policy names (retry_on, no_retry_on, a circuit's count_on): any of them matches. */
export function retryMatch(description: string) {
  const list = <T extends z.ZodType>(item: T, what: string) => z.union([item, z.array(item)], expected(`expected ${what} or a list of them`));
  return strict({
    exit_codes: list(z.number().int().min(0).max(255), 'an exit code (0-255)').describe('Exit codes of a command (shell, script, docker, data_processor).'),
    http_statuses: list(z.number().int().min(100).max(599), 'an HTTP status (100-599)').describe('HTTP statuses of an http task.'),
    errors: list(z.string().regex(/^[A-Z][A-Z0-9_]+$/, { error: 'an error code is UPPER_SNAKE_CASE, e.g. EXEC_TIMEOUT' }), 'an error code').describe('Error codes (EXEC_TIMEOUT, HTTP_NETWORK, SQL_QUERY...).'),
  })
    .partial()
    .describe(description);
}
