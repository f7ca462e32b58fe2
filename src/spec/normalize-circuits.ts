/**
 * Circuit breakers in files (docs/workflow-format.md#circuit-breakers): the `circuits:` a
 * workflow or baton.config.yaml declares (`payments-api: {failures: 3, window: 1m,
 * open_for: 30s}`), and the `circuit:` a task names, which must be one of them.
 *
 * A workflow's schema has checked the kinds of its values; the config has no schema, so
 * there every problem is reported here (`checkKinds`). Either way a zero window or open
 * period is refused: a circuit that counts failures over no time, or opens for none, would
 * never do anything, and is surely a mistake.
 */
import type { Reporter } from './diagnostics.js';
import type { Loc } from './positions.js';
import type { CircuitPolicy, TaskBase, TaskType } from './model.js';
import { POOL_NAME } from './normalize-resources.js';
import { isMap, type RawMap } from './raw.js';
import { retryMatchOf } from './retry-match.js';
import { parseDuration } from './duration.js';
import { didYouMean } from './suggest.js';

/** What a circuit may be called: like a pool, letters, digits and _ . - (payments-api). */
export const CIRCUIT_NAME = POOL_NAME;

export const CIRCUIT_FIELDS = ['failures', 'window', 'open_for', 'probes', 'count_on'] as const;

/** How a file's circuits are read: the workflow's (after its schema) or the config's (no schema). */
export interface CircuitReading {
  /** The code of a problem: SPEC_INVALID_VALUE in a workflow, CONFIG_TYPE in the config. */
  code: string;
  /** Report wrong kinds of values and unknown fields too (the config: no schema has). */
  checkKinds: boolean;
}

/**
 * Reads `circuits:` of a file's top level: name -> policy; problems reported, bad entries
 * left out (and their names added to `broken`, so tasks naming them are not told they are unknown too).
 */
export function circuitsOf(top: RawMap, rep: Reporter, reading: CircuitReading, broken?: Set<string>): Record<string, CircuitPolicy> {
  const out: Record<string, CircuitPolicy> = {};
  const raw = top.circuits;
  if (raw === undefined) return out;
  if (!isMap(raw)) {
    if (reading.checkKinds) rep.error(reading.code, '`circuits` must be a mapping of circuit name: {failures, window, open_for}', rep.value(top, 'circuits'), 'e.g. circuits: {payments-api: {failures: 3, window: 1m, open_for: 30s}}');
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!CIRCUIT_NAME.test(name)) {
      rep.error(reading.code, `'${name}' is not a circuit name`, rep.key(raw, name), 'circuit names hold letters, digits and _ . - and start with a letter, digit or _');
      continue;
    }
    const policy = policyOf(name, value, rep.value(raw, name), rep, reading);
    if (policy !== undefined) out[name] = policy;
    else broken?.add(name);
  }
  return out;
}

function policyOf(name: string, value: unknown, at: Loc, rep: Reporter, reading: CircuitReading): CircuitPolicy | undefined {
  const example = `e.g. ${name}: {failures: 3, window: 1m, open_for: 30s}`;
  if (!isMap(value)) {
    if (reading.checkKinds) rep.error(reading.code, `circuit '${name}' must be a mapping of failures, window and open_for`, at, example);
    return undefined;
  }
  let ok = true;
  const problem = (field: string, message: string, hint?: string) => {
    ok = false;
    rep.error(reading.code, `circuit '${name}': ${message}`, Object.hasOwn(value, field) ? rep.value(value, field) : at, hint);
  };
  if (reading.checkKinds) {
    for (const field of Object.keys(value)) {
      if (!(CIRCUIT_FIELDS as readonly string[]).includes(field)) problem(field, `has no field '${field}'${didYouMean(field, CIRCUIT_FIELDS)}`, `a circuit takes ${CIRCUIT_FIELDS.join(', ')}`);
    }
  }
  const whole = (field: 'failures' | 'probes', required: boolean): number | undefined => {
    const n = value[field];
    if (n === undefined) {
      if (required) problem(field, `needs \`${field}\`: how many failed attempts within the window open it`, example);
      return undefined;
    }
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
    // A workflow's schema reported it, at its line.
    if (reading.checkKinds) problem(field, `\`${field}\` must be a whole number, at least 1`);
    else ok = false;
    return undefined;
  };
  const period = (field: 'window' | 'open_for', what: string): number | undefined => {
    const given = value[field];
    if (given === undefined) {
      problem(field, `needs \`${field}\`: ${what}`, example);
      return undefined;
    }
    let ms: number;
    try {
      ms = parseDuration(given, 's');
    } catch {
      // A workflow's schema reported it, at its line.
      if (reading.checkKinds) problem(field, `\`${field}\` must be a duration such as 30s, 1m or 1h (a bare number is seconds)`);
      else ok = false;
      return undefined;
    }
    if (ms > 0) return ms;
    problem(field, `\`${field}\` must be more than 0 (it is ${JSON.stringify(given)})`, `${what}, e.g. ${field}: ${field === 'window' ? '1m' : '30s'}`);
    return undefined;
  };
  const failures = whole('failures', true);
  const probes = whole('probes', false);
  const window = period('window', 'how far back failures count');
  const openFor = period('open_for', 'how long it stays open before a probe goes');
  let countOn;
  if (value.count_on !== undefined) {
    const { match, problem: wrong } = retryMatchOf(value.count_on);
    if (match !== undefined) countOn = match;
    else if (reading.checkKinds) problem('count_on', `\`count_on\` ${wrong}`, 'e.g. count_on: {http_statuses: [500, 502, 503], errors: [HTTP_NETWORK, EXEC_TIMEOUT]}');
    else ok = false;
  }
  if (!ok || failures === undefined || window === undefined || openFor === undefined) return undefined;
  const policy: CircuitPolicy = { failures, window, open_for: openFor, probes: probes ?? 1 };
  if (countOn !== undefined) policy.count_on = countOn;
  return policy;
}

/** The circuits a workflow's tasks may name, while its tasks are read (TaskContext.circuits). */
export interface CircuitScope {
  /** The workflow's own `circuits:`. */
  own: Record<string, CircuitPolicy>;
  /** Names it declares with problems (reported there). */
  broken?: Set<string>;
  /** baton.config.yaml's; undefined when not known (a name neither declares is then not checked). */
  config?: Readonly<Record<string, CircuitPolicy>>;
  /** The config's circuits the tasks name: the run keeps their definitions. */
  used: Set<string>;
}

/** A task's `circuit`, checked: a leaf task's, naming a circuit the workflow or the config declares. */
export function circuitOf(raw: RawMap, type: TaskType | undefined, rep: Reporter, scope: CircuitScope | undefined): TaskBase['circuit'] {
  const name = raw.circuit;
  if (typeof name !== 'string') return undefined;
  const at = rep.value(raw, 'circuit');
  if (type === 'parallel' || type === 'loop' || type === 'conditional') {
    rep.error('SPEC_FIELD_NOT_ALLOWED', `field 'circuit' does not apply to a ${type} task`, rep.key(raw, 'circuit'), 'put `circuit` on the tasks inside it: each attempt of a leaf task goes through the circuit');
    return undefined;
  }
  if (!CIRCUIT_NAME.test(name)) {
    rep.error('SPEC_INVALID_VALUE', `'${name}' is not a circuit name`, at, 'circuit names hold letters, digits and _ . - and start with a letter, digit or _');
    return undefined;
  }
  if (scope === undefined || Object.hasOwn(scope.own, name) || scope.broken?.has(name)) return name;
  if (scope.config === undefined) return name;
  if (Object.hasOwn(scope.config, name)) {
    scope.used.add(name);
    return name;
  }
  const known = [...new Set([...Object.keys(scope.own), ...Object.keys(scope.config)])].sort();
  const hint =
    known.length === 0
      ? `declare it under \`circuits:\` at the top of the workflow or in baton.config.yaml: circuits: {${name}: {failures: 3, window: 1m, open_for: 30s}}`
      : `the circuits declared (in the workflow and baton.config.yaml) are: ${known.join(', ')}`;
  rep.error('SPEC_UNKNOWN_CIRCUIT', `unknown circuit '${name}'${didYouMean(name, known)}`, at, hint);
  return undefined;
}

/** What the workflow keeps: its own circuits and the config's its tasks name; undefined when none. */
export function keptCircuits(scope: CircuitScope): Record<string, CircuitPolicy> | undefined {
  const kept: Record<string, CircuitPolicy> = { ...scope.own };
  for (const name of scope.used) kept[name] = scope.config![name];
  return Object.keys(kept).length > 0 ? kept : undefined;
}
