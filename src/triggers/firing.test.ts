import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../spec/load.js';
import type { Trigger } from '../spec/model.js';
import { decideFiring } from './firing.js';

const webhook = (config: Trigger['config']): Trigger => ({ type: 'webhook', config: { webhook: '/ship', ...config } });
const delivery = { type: 'webhook' as const, at: '2026-01-01T00:00:00.000Z', webhook: '/ship', payload: { ref: 'main', n: 7 }, headers: { 'x-request-id': 'r-1' } };

describe("a trigger's idempotency_key", () => {
  it('is made from what fired the run, like its inputs', () => {
    expect(decideFiring(webhook({ idempotency_key: "${ trigger.headers['x-request-id'] }" }), delivery, {})).toEqual({ start: true, inputs: {}, idempotency_key: 'r-1' });
    expect(decideFiring(webhook({ idempotency_key: 'deploy-${ trigger.payload.ref }-${ env.STAGE }' }), delivery, { STAGE: 'prod' })).toMatchObject({ idempotency_key: 'deploy-main-prod' });
    // A whole expression that is not text: its JSON; nothing: empty, refused when the run is started.
    expect(decideFiring(webhook({ idempotency_key: '${ trigger.payload.n }' }), delivery, {})).toMatchObject({ idempotency_key: '7' });
    expect(decideFiring(webhook({ idempotency_key: "${ trigger.headers['x-nothing'] }" }), delivery, {})).toMatchObject({ idempotency_key: '' });
    expect(decideFiring(webhook({}), delivery, {})).toEqual({ start: true, inputs: {} });
  });

  it('that cannot be made fails the firing, with why', () => {
    const decided = decideFiring(webhook({ idempotency_key: '${ fromJSON(trigger.payload.ref) }' }), delivery, {});
    expect(decided).toMatchObject({ start: false, outcome: 'failed', reason: expect.stringContaining('the idempotency_key ${ fromJSON(trigger.payload.ref) } could not be made') });
  });

  it('is checked when the file loads: a template over trigger and env only, never empty', () => {
    const load = (key: string) => parseWorkflow(`name: ship\ntrigger:\n  type: webhook\n  config:\n    webhook: /ship\n    idempotency_key: ${key}\ntasks:\n  - id: a\n    type: noop\n`, 'ship.yaml');
    const good = load('"${ trigger.headers[\'x-github-delivery\'] }"');
    expect(good.diagnostics).toEqual([]);
    expect(good.workflow?.triggers?.[0].config.idempotency_key).toBe("${ trigger.headers['x-github-delivery'] }");
    const inputs = load('"${ inputs.ref }"').diagnostics;
    expect(inputs).toContainEqual(expect.objectContaining({ code: 'SPEC_CONTEXT_UNAVAILABLE', line: 6, message: expect.stringContaining("a trigger's idempotency_key can read only `trigger` and `env`, not `inputs`") }));
    expect(load('"  "').diagnostics).toContainEqual(expect.objectContaining({ code: 'SPEC_INVALID_VALUE', line: 6, col: 22, message: expect.stringContaining('an idempotency_key cannot be empty') }));
    expect(load('"${ trigger.payload.ref"').diagnostics).toContainEqual(expect.objectContaining({ code: 'SPEC_EXPR_SYNTAX', line: 6 }));
    expect(load('[a]').diagnostics).toContainEqual(expect.objectContaining({ line: 6, col: 22 }));
  });
});
