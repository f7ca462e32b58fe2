/**
 * `ctx.step(id, fn, { compensate })` end to end (docs/code-workflows.md#compensation): real
 * `baton run flow.ts` processes over a SQLite file. Compensations append to `undo.log`
 * beside the workflow, found through import.meta.url, so what ran, in which order and how
 * often is read from the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

function project(body: string) {
  const dir = tempDir('baton-code-saga-');
  const file = path.join(dir, 'flow.ts');
  writeFileSync(
    file,
    `import { workflow } from 'baton';
import { appendFileSync, writeFileSync } from 'node:fs';

const undo = (line: string) => appendFileSync(new URL('undo.log', import.meta.url), line + '\\n');
const mark = (name: string) => writeFileSync(new URL(name, import.meta.url), '');

export default workflow({ name: 'code-saga' }, async (ctx) => {
${body}
});
`,
  );
  const store = ['--store', path.join(dir, 'baton.db')];
  const undone = () => (existsSync(path.join(dir, 'undo.log')) ? readFileSync(path.join(dir, 'undo.log'), 'utf8').trim().split('\n') : []);
  const lastRun = () => (JSON.parse(baton(['history', '--json', ...store], { cwd: dir }).stdout) as Array<{ run_id: string }>)[0].run_id;
  const status = (runId: string) => JSON.parse(baton(['status', runId, '--json', ...store], { cwd: dir }).stdout) as { status: string; compensation?: unknown; tasks: Array<{ id: string; status: string }> };
  return { dir, file, store, undone, lastRun, status };
}

const SAGA = `  const booking = await ctx.step('book', () => 'B-1', { compensate: (id: string) => undo('cancel ' + id) });
  await ctx.step('note', () => 'no undo needed');
  const payment = await ctx.step('charge', () => ({ id: 'P-9' }), { compensate: async (p: { id: string }) => { if (process.env.SLOW_UNDO) { mark('undo-started'); await new Promise((r) => setTimeout(r, 2000)); } undo('refund ' + p.id); } });
  await ctx.step('ship', () => { throw new Error('carrier said no'); });
  return { booking, payment };`;

describe('TypeScript workflows: compensate', () => {
  it('a failing function undoes the steps that succeeded, the last first, with their results; the run fails with its error', () => {
    const p = project(SAGA);
    const run = baton(['run', p.file, ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    expect(p.undone()).toEqual(['refund P-9', 'cancel B-1']);
    expect(run.stdout).toContain('compensated: undid charge, book');
    const view = p.status(p.lastRun());
    expect(view.status).toBe('failed');
    expect(view.compensation).toEqual({ status: 'compensated', tasks: ['charge', 'book'] });
    expect(view.tasks.filter((t) => t.id.startsWith('compensate[')).map((t) => t.id)).toEqual(['compensate[charge]', 'compensate[book]']);
  }, 30_000);

  it('killed while compensating and resumed: each compensation runs once', async () => {
    const p = project(SAGA);
    const started = batonAsync(['run', p.file, ...p.store], { cwd: p.dir, env: { SLOW_UNDO: '1' } });
    await until(() => existsSync(path.join(p.dir, 'undo-started')), 20_000, 'the first compensation to start');
    started.child.kill('SIGKILL');
    await started.done;
    expect(p.undone()).toEqual([]);
    const resumed = baton(['resume', p.lastRun(), ...p.store], { cwd: p.dir });
    expect(resumed.status, resumed.stderr).toBe(1);
    expect(p.undone()).toEqual(['refund P-9', 'cancel B-1']);
    expect(p.status(p.lastRun()).compensation).toEqual({ status: 'compensated', tasks: ['charge', 'book'] });
  }, 60_000);
});
