import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

const CONFIG = { 'payments-api': { failures: 5, window: 120_000, open_for: 10_000, probes: 2 }, search: { failures: 1, window: 1000, open_for: 1000, probes: 1 } };

describe('circuit breakers in workflow files', () => {
  test('a workflow declares circuits its tasks name; the run keeps the config circuits they name, and no others', () => {
    const wf = valid(check(yaml`
      name: shop
      circuits:
        inventory: {failures: 3, window: 1m, open_for: 30s}
        ledger: {failures: 2, window: 90, open_for: 1m30s, probes: 3, count_on: {http_statuses: [500, 503], errors: HTTP_NETWORK}}
      tasks:
        - id: stock
          type: http
          url: http://127.0.0.1/stock
          circuit: inventory
        - id: charge
          type: http
          url: http://127.0.0.1/charge
          circuit: payments-api
        - id: plain
          command: echo
    `, 'flow.yaml', { circuits: CONFIG }));
    expect(wf.circuits).toEqual({
      inventory: { failures: 3, window: 60_000, open_for: 30_000, probes: 1 },
      ledger: { failures: 2, window: 90_000, open_for: 90_000, probes: 3, count_on: { http_statuses: [500, 503], errors: ['HTTP_NETWORK'] } },
      'payments-api': CONFIG['payments-api'],
    });
    expect(wf.tasks.map((t) => t.circuit)).toEqual(['inventory', 'payments-api', undefined]);
  });

  test('a workflow circuit with a zero window, or opening for no time, is refused at its place', () => {
    const result = check(yaml`
      name: shop
      circuits:
        payments-api: {failures: 3, window: 0, open_for: 30s}
        other: {failures: 3, window: 1m, open_for: 0s}
      tasks:
        - id: charge
          command: ./charge
          circuit: payments-api
    `);
    expect(codes(result)).toEqual(['SPEC_INVALID_VALUE', 'SPEC_INVALID_VALUE']);
    expect(where(result.diagnostics[0])).toBe("3:39 circuit 'payments-api': `window` must be more than 0 (it is 0)");
    expect(result.diagnostics[0].hint).toBe('how far back failures count, e.g. window: 1m');
    expect(where(result.diagnostics[1])).toBe("4:46 circuit 'other': `open_for` must be more than 0 (it is \"0s\")");
    expect(result.workflow).toBeUndefined();
  });

  test('a task naming a circuit no file declares is an error at its place, with the known ones', () => {
    const d = only(check(yaml`
      name: shop
      circuits:
        inventory: {failures: 3, window: 1m, open_for: 30s}
      tasks:
        - id: charge
          command: ./charge
          circuit: payments-apl
    `, 'flow.yaml', { circuits: CONFIG }), 'SPEC_UNKNOWN_CIRCUIT');
    expect(where(d)).toBe("7:14 unknown circuit 'payments-apl' (did you mean 'payments-api'?)");
    expect(d.hint).toBe('the circuits declared (in the workflow and baton.config.yaml) are: inventory, payments-api, search');
    const none = only(check('name: a\ntasks:\n  - id: a\n    command: echo\n    circuit: db\n', 'flow.yaml', { circuits: {} }), 'SPEC_UNKNOWN_CIRCUIT');
    expect(none.hint).toContain('declare it under `circuits:`');
  });

  test('without the config, a name the workflow does not declare is left for the run to find', () => {
    const wf = valid(check('name: a\ntasks:\n  - id: a\n    command: echo\n    circuit: db\n'));
    expect(wf.tasks[0].circuit).toBe('db');
    expect(wf.circuits).toBeUndefined();
  });

  test('missing or wrong fields, a bad name, and `circuit` on a composite are errors', () => {
    const result = check(yaml`
      name: shop
      circuits:
        a: {window: 1m, open_for: 30s}
        b: {failures: 0, window: 1m, open_for: 30s, probes: 1.5}
        c: {failures: 1, window: soon, open_for: 30s, treshold: 2}
        "bad name": {failures: 1, window: 1m, open_for: 1m}
      tasks:
        - id: all
          type: parallel
          circuit: a
          tasks:
            - command: echo
    `);
    const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line} ${d.code} ${d.message}`);
    expect(errors).toEqual(
      expect.arrayContaining([
        "3 SPEC_INVALID_VALUE circuit 'a': needs `failures`: how many failed attempts within the window open it",
        expect.stringMatching(/^4 .*must be at least 1/),
        expect.stringMatching(/^4 .*expected a whole number/),
        expect.stringMatching(/^5 SPEC_DURATION/),
        expect.stringMatching(/^5 .*treshold/),
        "6 SPEC_INVALID_VALUE 'bad name' is not a circuit name",
        "10 SPEC_FIELD_NOT_ALLOWED field 'circuit' does not apply to a parallel task",
      ]),
    );
    expect(errors).toHaveLength(7);
  });
});
