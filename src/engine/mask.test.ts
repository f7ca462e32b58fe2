import { describe, expect, it } from 'vitest';
import type { Executor } from '../executors/types.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { LineMasker, Masker } from './mask.js';
import { runWorkflow } from './runner.js';
import { shell, workflow } from './test-dsl.js';

const SECRET = 's3cr3t-T0ken';

describe('Masker', () => {
  it('masks every occurrence, longest value first, and leaves short values alone', () => {
    const masker = Masker.of(['abc', 'abcdef', 'x'])!;
    expect(masker.text('abcdef and abc and x')).toBe('*** and *** and x');
    expect(masker.deep({ a: ['abc!', { abcdef: 1 }] })).toEqual({ a: ['***!', { '***': 1 }] });
    expect(Masker.of(['', 'x'])).toBeUndefined();
  });

  it('masks the lines of a multi-line secret too', () => {
    const masker = Masker.of(['line-one\nline-two'])!;
    expect(masker.text('got line-two here')).toBe('got *** here');
  });

  it('catches a secret split across chunks by holding partial lines', () => {
    const out: string[] = [];
    const lines = new LineMasker(Masker.of([SECRET])!, (chunk) => out.push(chunk));
    lines.write('token: s3cr');
    lines.write('3t-T0ken\nnext ');
    lines.write('line');
    lines.flush();
    expect(out.join('')).toBe('token: ***\nnext line');
  });
});

describe('secrets in a run', () => {
  it('are masked in stored logs, events and live output, yet reach the task', async () => {
    const store = createMemoryStore();
    const live: string[] = [];
    const wf = workflow(
      [
        shell('leak', `printf 'the token is %s\\n' "$API_TOKEN"; printf '%s' "$API_TOKEN" | cut -c1-4; echo "value=${'$'}{API_TOKEN}" >> "$BATON_OUTPUT"; echo "$API_TOKEN" >&2; test "${'$'}{{ secrets.API_TOKEN }}" = "$API_TOKEN" && exit 3`),
      ],
      { secrets: ['API_TOKEN'] },
    );
    const { runId, state } = await runWorkflow({
      store,
      workflow: wf,
      processEnv: { ...process.env, API_TOKEN: SECRET },
      env: { OTHER: `prefix-${SECRET}` },
      onOutput: (_task, _stream, chunk) => live.push(chunk),
      followAll: true,
    });
    // exit 3 proves the task saw the real value through both env and ${{ secrets.* }}.
    expect(state.task('leak').exitCode).toBe(3);
    const events = JSON.stringify(await store.runs.readEvents(runId));
    expect(events).not.toContain(SECRET);
    expect(events).toContain('prefix-***');
    const logs = (await store.logs.read(runId)).lines.map((l) => l.text).join('\n');
    expect(logs).toContain('the token is ***');
    expect(logs).toContain('s3cr'); // a piece of it is not the secret
    expect(logs).not.toContain(SECRET);
    expect(live.join('')).not.toContain(SECRET);
  });

  it('masks a secret defined by the workflow itself, and never records one given with --env', async () => {
    const store = createMemoryStore();
    const wf = workflow([shell('show', 'echo "$DB_URL $API_TOKEN"')], {
      secrets: ['DB_URL', 'API_TOKEN'],
      environment: { DB_URL: 'postgres://app:${ env.DB_PASS }@db/app' },
    });
    const processEnv = { PATH: process.env.PATH ?? '', DB_PASS: 'pa55word' };
    const { runId } = await runWorkflow({ store, workflow: wf, processEnv, env: { API_TOKEN: SECRET } });
    const events = JSON.stringify(await store.runs.readEvents(runId));
    const logs = (await store.logs.read(runId)).lines.map((l) => l.text).join('\n');
    expect(logs).toBe('*** ***');
    expect(events).not.toContain('pa55word');
    expect(events).not.toContain(SECRET);
    const created = (await store.runs.readEvents(runId))[0];
    expect(created.type === 'RunCreated' && created.env).toEqual({});
  });

  it('refuses to start when a declared secret is not set, naming it', async () => {
    const never: Executor = { run: () => Promise.reject(new Error('must not run')) };
    await expect(
      runWorkflow({ store: createMemoryStore(), workflow: workflow([shell('a', 'true')], { secrets: ['MISSING_ONE'] }), processEnv: {}, executors: () => never }),
    ).rejects.toMatchObject({ code: 'INPUT_SECRET_MISSING', message: expect.stringContaining('MISSING_ONE') });
  });
});
