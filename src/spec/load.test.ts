import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic, loadWorkflowFile } from './index.js';
import type { ConditionalTask, LoopTask, ParallelTask } from './model.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe('loadWorkflowFile', () => {
  test('the seed 004 workflow (npm commands made harmless) validates', async () => {
    const result = await loadWorkflowFile(fixture('seed-004.json'), { isOnPath: (p) => p === 'echo' });
    expect(result.diagnostics).toEqual([]);
    const wf = result.workflow!;
    expect(wf).toMatchObject({
      name: 'deployment-workflow',
      version: '1.0.0',
      triggers: [{ type: 'schedule', config: { schedule: '0 2 * * *', files: ['src/**/*', 'package.json'], webhook: '/trigger/deploy' } }],
      environment: { NODE_ENV: 'production', LOG_LEVEL: 'info' },
      callbacks: ['notify-success', 'rollback', 'notify-failure'],
      notifications: { channels: ['slack', 'email'], on_completion: true, on_failure: true, on_success: false },
      source: { format: 'canonical' },
    });
    expect(wf.alerts.map((a) => a.name)).toEqual(['workflow-failure', 'high-failure-rate', 'long-duration']);
    const byId = new Map(wf.tasks.map((t) => [t.id, t]));
    expect(byId.get('pre-build')).toMatchObject({ timeout: 300_000, retry: { attempts: 3, delay: 5000, backoff: 'exponential' } });
    expect((byId.get('conditional-deploy') as ConditionalTask).if).toBe("${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'");
    expect((byId.get('parallel-tests') as ParallelTask).tasks.map((t) => t.id)).toEqual(['unit-tests', 'integration-tests', 'e2e-tests']);
    expect((byId.get('deploy-multiple-envs') as LoopTask)).toMatchObject({ items: ['staging', 'qa', 'production'], parallel: false, stop_on_failure: true, task: { id: 'deploy-multiple-envs[item]', timeout: 300_000 } });
  });

  test('the YAML fixture validates', async () => {
    const result = await loadWorkflowFile(fixture('seed-004.yaml'));
    expect(result.diagnostics).toEqual([]);
    expect(result.workflow?.inputs.target).toEqual({ type: 'string', default: 'staging', description: 'Where to deploy', required: false });
  });

  test('a missing file', async () => {
    const result = await loadWorkflowFile('/nonexistent/flow.yaml');
    expect(result.workflow).toBeUndefined();
    expect(result.diagnostics).toEqual([
      { severity: 'error', code: 'SPEC_READ', message: 'cannot read the file: file not found', file: '/nonexistent/flow.yaml', line: 1, col: 1 },
    ]);
  });

  test('a file over the size limit is not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-spec-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, Buffer.alloc(11 * 1024 * 1024, 0x20));
    const result = await loadWorkflowFile(file);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['SPEC_FILE_TOO_LARGE']);
  });

  test('an unknown task type is reported with the known ones listed, and its `config:` fields checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-spec-'));
    const file = join(dir, 'flow.json');
    writeFileSync(file, JSON.stringify({ name: 'x', tasks: [{ id: 'deploy', type: 'kubernetes', config: { manifest: 'deploy.yaml' } }] }, null, 2));
    const result = await loadWorkflowFile(file);
    const [type, field, ...rest] = result.diagnostics.map(formatDiagnostic);
    expect(type).toMatch(new RegExp(`^${file}:6:15: error SPEC_UNKNOWN_TYPE: unknown task type 'kubernetes'\n  hint: known: shell, http, script, .*, python`));
    expect(field).toBe(`${file}:8:9: error SPEC_UNKNOWN_FIELD: unknown field 'manifest'\n  hint: see docs/workflow-format.md for the fields allowed here`);
    expect(rest).toEqual([]);
  });
});

test('formatDiagnostic', () => {
  expect(formatDiagnostic({ severity: 'warning', code: 'SPEC_X', message: 'm', file: 'f.yaml', line: 3, col: 7 })).toBe('f.yaml:3:7: warning SPEC_X: m');
  expect(formatDiagnostic({ severity: 'error', code: 'SPEC_Y', message: 'm', hint: 'h', file: 'f.yaml', line: 1, col: 2 })).toBe('f.yaml:1:2: error SPEC_Y: m\n  hint: h');
});
