/**
 * docker and data_processor tasks end to end through `baton run`. docker runs against a
 * FAKE docker CLI (tests/fixtures/fake-docker: these machines have no docker engine) that
 * records each call's argv; data_processor against real files, one of them large enough
 * to show that the baton process stays in bounded memory (its peak RSS, read from /proc).
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { baton, BATON, ROOT, TEST_HOME, tempDir, writeWorkflow } from './helpers.js';

const FAKE_DOCKER = path.join(ROOT, 'tests', 'fixtures', 'fake-docker');

interface Call {
  argv: string[];
  env: Record<string, string | null>;
}

function fakeDocker() {
  const log = path.join(tempDir('baton-fake-docker-'), 'calls.jsonl');
  writeFileSync(log, '');
  return {
    env: { PATH: `${FAKE_DOCKER}${path.delimiter}${process.env.PATH}`, FAKE_DOCKER_LOG: log },
    calls: (): Call[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)),
  };
}

const taskOf = (summary: { tasks: Array<{ id: string }> }, id: string) => summary.tasks.find((t) => t.id === id) as Record<string, unknown> & { error?: { code: string; message: string } };

describe('docker tasks (against a fake docker CLI)', () => {
  it('examples/docker-build-run.yaml: builds, then runs the image it built, every value an argument of its own', () => {
    const docker = fakeDocker();
    const r = baton(['run', 'examples/docker-build-run.yaml', '--input', 'version=1.4.2', '--json'], { env: docker.env });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const [build, run] = docker.calls();
    const iidFile = build.argv[build.argv.indexOf('--iidfile') + 1];
    expect(build.argv).toEqual([
      'build',
      '--file', path.join(ROOT, 'examples/docker/Dockerfile'),
      '--tag', 'baton-example/report:latest',
      '--tag', 'baton-example/report:1.4.2',
      '--build-arg', 'APP_VERSION=1.4.2',
      '--iidfile', iidFile,
      path.join(ROOT, 'examples/docker'),
    ]);
    const imageId = taskOf(summary, 'docker-build').outputs as { image_id: string };
    expect(imageId.image_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const name = `baton-${summary.run_id.toLowerCase()}-report-1`;
    expect(run.argv).toEqual([
      'run', '--name', name,
      '--label', `baton.run_id=${summary.run_id}`, '--label', 'baton.task=report', '--label', 'baton.attempt=1',
      '--rm', '--network', 'none',
      '--env', 'TARGET',
      '--volume', `${path.join(ROOT, 'examples/data')}:/data:ro`,
      imageId.image_id, 'orders', '--since', 'yesterday',
    ]);
    expect(run.env).toEqual({ TARGET: 'ops' });
    expect(taskOf(summary, 'report').outputs).toMatchObject({ container: name, stdout: 'ran orders --since yesterday' });
  });

  it('a timeout stops the container with docker stop, and the task fails EXEC_TIMEOUT', () => {
    const docker = fakeDocker();
    const flow = writeWorkflow('name: slow\ntasks:\n  - id: wait\n    type: docker\n    image: busybox\n    command: sleep\n    timeout: 1s\n');
    const r = baton(['run', flow, '--json'], { env: docker.env });
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(taskOf(summary, 'wait').error).toMatchObject({ code: 'EXEC_TIMEOUT' });
    expect(docker.calls().map((c) => c.argv)).toContainEqual(['stop', '--time', '5', `baton-${summary.run_id.toLowerCase()}-wait-1`]);
  });

  it('the container exiting non-zero fails the task with its exit code', () => {
    const docker = fakeDocker();
    const flow = writeWorkflow('name: failing\ntasks:\n  - { id: job, type: docker, image: busybox, command: "exit 7" }\n');
    const r = baton(['run', flow, '--json'], { env: docker.env });
    expect(r.status).toBe(1);
    expect(taskOf(JSON.parse(r.stdout), 'job').error).toMatchObject({ code: 'EXEC_EXIT_CODE', message: 'docker run exited with code 7' });
  });

  it('without a docker CLI the task fails with DOCKER_NOT_FOUND, and validate warns', () => {
    const flow = writeWorkflow('name: nodocker\ntasks:\n  - { id: job, type: docker, image: busybox }\n');
    const env = { PATH: tempDir('baton-no-docker-') };
    const r = baton(['run', flow, '--json'], { env });
    expect(r.status).toBe(1);
    expect(taskOf(JSON.parse(r.stdout), 'job').error?.code).toBe('DOCKER_NOT_FOUND');
    const v = baton(['validate', flow], { env });
    expect(v.stdout + v.stderr).toMatch(/flow\.yaml:3:22: warning SPEC_PROGRAM_NOT_FOUND: program 'docker' is not on PATH/);
  });
});

describe('data_processor tasks', () => {
  it('examples/data-processing.yaml: the seed\'s shape, its outputs reaching the next task', () => {
    const dir = tempDir();
    cpSync(path.join(ROOT, 'examples/data-processing.yaml'), path.join(dir, 'flow.yaml'));
    cpSync(path.join(ROOT, 'examples/scripts/process-data.js'), path.join(dir, 'scripts/process-data.js'));
    cpSync(path.join(ROOT, 'examples/data/orders'), path.join(dir, 'data/orders'), { recursive: true });
    const r = baton(['run', path.join(dir, 'flow.yaml'), '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(taskOf(summary, 'report').outputs).toMatchObject({ stdout: '3 of 5 orders from 2 files kept, worth 472.75' });
    expect(JSON.parse(readFileSync(path.join(dir, 'processed/paid-orders.json'), 'utf8'))).toEqual([
      { id: 1001, customer: 'acme', cents: 12050 },
      { id: 1003, customer: 'initech', cents: 4225 },
      { id: 1004, customer: 'acme', cents: 31000 },
    ]);
  });

  it('an empty glob fails the run with DATA_NO_INPUT, saying what to do', () => {
    const flow = writeWorkflow('name: empty\ntasks:\n  - { id: p, type: data_processor, input: "nothing/*.json", processor: { command: cat }, output: out.json }\n');
    const r = baton(['run', flow, '--json']);
    expect(r.status).toBe(1);
    expect(taskOf(JSON.parse(r.stdout), 'p').error).toMatchObject({ code: 'DATA_NO_INPUT' });
    expect(taskOf(JSON.parse(r.stdout), 'p').error?.message).toContain('input.allow_empty: true');
  });

  it('streams an 80 MB JSON array in bounded memory: baton and the processor each stay far below the input size', async () => {
    if (process.platform !== 'linux') return;
    const dir = tempDir('baton-big-data-');
    mkdirSync(path.join(dir, 'data'));
    // The processor reports its own peak RSS (getrusage) as an output.
    writeFileSync(
      path.join(dir, 'process.mjs'),
      `import { once } from 'node:events';
       import { appendFileSync } from 'node:fs';
       import { createInterface } from 'node:readline';
       for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
         const r = JSON.parse(line);
         if (r.n % 2 === 0 && !process.stdout.write(JSON.stringify({ n: r.n, len: r.text.length }) + '\\n')) await once(process.stdout, 'drain');
       }
       appendFileSync(process.env.BATON_OUTPUT, 'peak_kb=' + process.resourceUsage().maxRSS + '\\n');\n`,
    );
    writeFileSync(path.join(dir, 'small.json'), '[{"n": 0, "text": "x"}]');
    const records = await writeBigJsonArray(path.join(dir, 'data/big.json'), 80 * 1024 * 1024);
    const flow = (input: string) => {
      const file = path.join(dir, `flow-${path.basename(input)}.yaml`);
      writeFileSync(file, `name: big\ntasks:\n  - { id: p, type: data_processor, input: "${input}", processor: { script: process.mjs }, output: out/result.jsonl }\n`);
      return file;
    };
    const small = await peakRss(flow('small.json'));
    // 80 MB in and 20 MB out: not left in /tmp.
    const big = await peakRss(flow('data/big.json')).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(big.summary.status).toBe('succeeded');
    const outputs = taskOf(big.summary, 'p').outputs as Record<string, number | string>;
    expect(outputs).toMatchObject({ records_in: records, records_out: Math.ceil(records / 2) });
    // Held whole, the input would be 80 MB of text and several times that as parsed values.
    expect(big.peakMb - small.peakMb).toBeLessThan(60);
    expect(Number(outputs.peak_kb) / 1024).toBeLessThan(120);
  }, 120_000);
});

/** ~`bytes` of `[{"n": 0, "text": "..."}, ...]`; how many records it holds. */
async function writeBigJsonArray(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  const text = 'lorem ipsum dolor sit amet '.repeat(8);
  let written = 0;
  let n = 0;
  out.write('[\n');
  while (written < bytes) {
    const chunk: string[] = [];
    for (let i = 0; i < 1000; i++, n++) chunk.push(`${n === 0 ? '' : ',\n'}{"n": ${n}, "text": "${text}", "tags": ["a", "b"], "nested": {"x": ${n % 7}}}`);
    const piece = chunk.join('');
    written += piece.length;
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end('\n]\n');
  await once(out, 'finish');
  return n;
}

/** Runs `baton run FLOW --json`, sampling the baton process's VmHWM (its peak RSS) from /proc. */
async function peakRss(flow: string): Promise<{ peakMb: number; summary: { status: string; tasks: Array<{ id: string }> } }> {
  const child = spawn(process.execPath, [BATON, 'run', flow, '--json'], { env: { ...process.env, NO_COLOR: '1', BATON_HOME: TEST_HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.resume();
  let ended = false;
  const done = once(child, 'close').then(() => (ended = true));
  let peakKb = 0;
  while (!ended) {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // Exited meanwhile.
    }
    await sleep(20);
  }
  await done;
  return { peakMb: peakKb / 1024, summary: JSON.parse(stdout) };
}
