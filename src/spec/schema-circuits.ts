/**
 * The circuit breaker fields of the workflow file format (docs/workflow-format.md#circuit-breakers):
 * `circuits:` at the top, `circuit:` on a task. Kinds of values only: normalize-circuits.ts
 * checks the rest (a window of 0, a name no file declares).
 */
import { z } from 'zod';
import { duration, expected, positiveInt, retryMatch, str, strict } from './schema-kit.js';

const circuit = strict({
  failures: positiveInt('Failed attempts within `window` that open it. Required.'),
  window: duration('How far back failures count (more than 0). Required.', 's'),
  open_for: duration('How long it stays open, failing attempts at once with CIRCUIT_OPEN, before a probe attempt may go (more than 0). Required.', 's'),
  probes: positiveInt('Probe attempts let through at once after open_for: one that succeeds closes the circuit, one that fails opens it again. Default 1.'),
  count_on: retryMatch('Only failures that match count towards `failures`. Default: every failed attempt (but CIRCUIT_OPEN itself; cancelled attempts never count).'),
}).partial();

export const circuitsField = z
  .record(z.string(), circuit, expected('expected a mapping of circuit name: {failures, window, open_for}'))
  .describe(
    "Circuit breakers tasks may name with `circuit:`, shared by every run of every workflow on the store (baton.config.yaml may declare them too): after `failures` failed attempts within `window`, attempts fail at once with CIRCUIT_OPEN for `open_for`, then `probes` attempts go through to see whether the dependency is back. E.g. payments-api: {failures: 3, window: 1m, open_for: 30s}.",
  );

export const circuitField = str(
  "The circuit breaker (the workflow's or baton.config.yaml's `circuits:`) its attempts go through: while it is open they fail at once with CIRCUIT_OPEN (retryable), without running. Leaf tasks only.",
  'expected a circuit name',
);
