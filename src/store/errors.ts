import { BatonError } from '../observability/errors.js';

export class StoreError extends BatonError {}

export function runNotFound(runId: string): StoreError {
  return new StoreError('STORE_RUN_NOT_FOUND', `run ${runId} not found: list runs with \`baton history\``, {
    details: { run: runId },
  });
}
