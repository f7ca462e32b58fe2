/**
 * The docker executor against a FAKE docker CLI (tests/fixtures/fake-docker/docker: these
 * machines have no docker engine), put first on PATH; it records every call's argv (and
 * the values of `--env NAME` variables it was handed) as one JSON line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DockerBuildTask, DockerRunTask } from '../spec/model.js';
import { taskDefaults } from '../spec/task-defaults.js';
import { containerName } from './docker-args.js';
import { createDockerExecutor, docker } from './docker.js';
import { rejection, testIO, waitFor, type RecordingIO } from './test-support.js';

const FAKE_DOCKER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'tests', 'fixtures', 'fake-docker');

interface Call {
  argv: string[];
  env: Record<string, string | null>;
}

/** A TaskIO whose PATH starts with the fake docker, logging to a fresh file. */
function dockerIO(overrides: Partial<RecordingIO> = {}): RecordingIO & { calls: () => Call[] } {
  const state = mkdtempSync(path.join(tmpdir(), 'baton-fake-docker-'));
  const log = path.join(state, 'calls.jsonl');
  writeFileSync(log, '');
  const io = testIO({ ...overrides, env: { ...process.env, PATH: `${FAKE_DOCKER_DIR}${path.delimiter}${process.env.PATH}`, FAKE_DOCKER_LOG: log } as Record<string, string> });
  const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Call);
  return Object.assign(io, { calls });
}

const buildTask = (extra: Partial<DockerBuildTask> = {}): DockerBuildTask => ({ id: 'image', explicit_id: true, ...taskDefaults(), type: 'docker', action: 'build', context: '.', tags: [], build_args: {}, push: false, ...extra });
const runTask = (extra: Partial<DockerRunTask> = {}): DockerRunTask => ({ id: 'job', explicit_id: true, ...taskDefaults(), type: 'docker', action: 'run', image: 'alpine:3.20', env: {}, volumes: [], rm: true, ...extra });

describe('docker build', () => {
  it('runs docker build with the file, tags, build args, target and platform as arguments, and gives the image id', async () => {
    const io = dockerIO();
    const result = await docker.run(
      buildTask({ dockerfile: 'docker/Dockerfile', context: 'app', tags: ['myapp:latest', 'myapp:42'], build_args: { NODE_ENV: 'production', NOTE: 'a b; $(x)' }, target: 'runtime', platform: 'linux/amd64' }),
      io,
      new AbortController().signal,
    );
    const [call] = io.calls();
    const iid = call.argv[call.argv.indexOf('--iidfile') + 1];
    expect(call.argv).toEqual([
      'build',
      '--file', path.join(io.baseDir, 'docker/Dockerfile'),
      '--tag', 'myapp:latest',
      '--tag', 'myapp:42',
      '--build-arg', 'NODE_ENV=production',
      '--build-arg', 'NOTE=a b; $(x)',
      '--target', 'runtime',
      '--platform', 'linux/amd64',
      '--iidfile', iid,
      path.join(io.baseDir, 'app'),
    ]);
    expect(result.exit_code).toBe(0);
    expect(result.outputs.tags).toEqual(['myapp:latest', 'myapp:42']);
    expect(result.outputs.image_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(io.err.join('')).toContain('load build definition from Dockerfile');
  });

  it('pushes every tag when asked, and gives the digest the registry answered', async () => {
    const io = dockerIO();
    const result = await docker.run(buildTask({ tags: ['registry.example/app:1', 'registry.example/app:latest'], push: true }), io, new AbortController().signal);
    expect(io.calls().map((c) => c.argv.slice(0, 2))).toEqual([
      ['build', '--tag'],
      ['push', 'registry.example/app:1'],
      ['push', 'registry.example/app:latest'],
    ]);
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('fails the task with the exit code and the tail of stderr when the build fails', async () => {
    const io = dockerIO();
    io.env.FAKE_DOCKER_FAIL = 'build';
    const err = await rejection(docker.run(buildTask({ tags: ['x:1'], push: true }), io, new AbortController().signal));
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 1, retryable: true });
    expect(err.message).toBe('docker build exited with code 1');
    expect(err.stderr_tail).toContain('failed to solve');
    expect(io.calls()).toHaveLength(1); // nothing pushed
  });
});

describe('docker run', () => {
  it('runs the container in the foreground under the attempt\'s name, with env, volumes, network and the command as arguments', async () => {
    const io = dockerIO();
    const result = await docker.run(
      runTask({
        command: ['echo', 'hello world', '$HOME'],
        env: { GREETING: 'hi; rm -rf /', DOCKER_HOST: 'tcp://inner:2375' },
        volumes: ['./data:/data:ro', 'cache:/root/.cache', '/abs:/abs', '/anonymous'],
        network: 'backend',
        workdir: '/work',
        user: '1000:1000',
        entrypoint: '/bin/sh',
        pull: 'never',
        platform: 'linux/arm64',
      }),
      io,
      new AbortController().signal,
    );
    const name = 'baton-01jtestrun-task-a-1';
    const [call] = io.calls();
    expect(call.argv).toEqual([
      'run', '--name', name,
      '--label', 'baton.run_id=01JTESTRUN', '--label', 'baton.task=task-a', '--label', 'baton.attempt=1',
      '--rm', '--pull', 'never', '--platform', 'linux/arm64', '--network', 'backend', '--workdir', '/work', '--user', '1000:1000', '--entrypoint', '/bin/sh',
      '--env', 'GREETING',
      // A name the docker CLI reads itself goes on the command line, so it steers only the container.
      '--env', 'DOCKER_HOST=tcp://inner:2375',
      '--volume', `${path.join(io.baseDir, 'data')}:/data:ro`,
      '--volume', 'cache:/root/.cache',
      '--volume', '/abs:/abs',
      '--volume', '/anonymous',
      'alpine:3.20', 'echo', 'hello world', '$HOME',
    ]);
    // The value reached docker through its environment, not its command line.
    expect(call.env).toEqual({ GREETING: 'hi; rm -rf /' });
    expect(result).toEqual({ outputs: { container: name, image: 'alpine:3.20', stdout: 'hello world $HOME' }, exit_code: 0 });
  });

  it('keeps the container when rm is false, and names containers of odd task keys safely and distinctly', async () => {
    const io = dockerIO({ taskKey: 'deploy[qa]', attempt: 1 });
    await docker.run(runTask({ rm: false, command: ['echo', 'x'] }), io, new AbortController().signal);
    const [call] = io.calls();
    expect(call.argv).not.toContain('--rm');
    const name = call.argv[call.argv.indexOf('--name') + 1];
    expect(name).toMatch(/^baton-01jtestrun-deploy-qa--[0-9a-f]{8}-1$/);
    expect(name).not.toBe(containerName({ runId: '01JTESTRUN', taskKey: 'deploy(qa)', attempt: 1 }));
  });

  it("fails with the container's exit code", async () => {
    const io = dockerIO();
    const err = await rejection(docker.run(runTask({ command: ['exit', '3'] }), io, new AbortController().signal));
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 3, retryable: true, stderr_tail: 'container exits 3' });
    expect(err.message).toBe('docker run exited with code 3');
  });

  it("says what docker's own exit code 125 means", async () => {
    const err = await rejection(docker.run(runTask({ command: ['exit', '125'] }), dockerIO(), new AbortController().signal));
    expect(err.message).toMatch(/^docker run exited with code 125: docker itself failed/);
  });

  it('on cancel, stops the named container with docker stop (the CLI alone cannot), and fails EXEC_ABORTED', async () => {
    const io = dockerIO();
    const ac = new AbortController();
    const running = docker.run(runTask({ command: ['sleep'] }), io, ac.signal);
    await waitFor(() => io.out.join('').includes('sleeping'));
    ac.abort(new Error('cancelled by test'));
    const err = await rejection(running);
    expect(err).toMatchObject({ code: 'EXEC_ABORTED' });
    const name = 'baton-01jtestrun-task-a-1';
    expect(io.calls().map((c) => c.argv)).toContainEqual(['stop', '--time', '5', name]);
    expect(io.err.join('')).toContain(`baton: stopping container ${name}`);
  });

  it('uses the kill grace as docker stop\'s --time', async () => {
    const io = dockerIO();
    const ac = new AbortController();
    const running = createDockerExecutor({ killGraceMs: 2_500 }).run(runTask({ command: ['sleep'] }), io, ac.signal);
    await waitFor(() => io.out.join('').includes('sleeping'));
    ac.abort(new Error('timed out'));
    await rejection(running);
    expect(io.calls().at(-1)?.argv).toEqual(['stop', '--time', '3', 'baton-01jtestrun-task-a-1']);
  });

  it('a later attempt first removes the containers earlier attempts may have left (baton died while they ran)', async () => {
    const io = dockerIO({ attempt: 3 });
    await docker.run(runTask({ command: ['echo', 'again'] }), io, new AbortController().signal);
    const argvs = io.calls().map((c) => c.argv);
    expect(argvs[0]).toEqual(['rm', '--force', 'baton-01jtestrun-task-a-1', 'baton-01jtestrun-task-a-2']);
    expect(argvs[1].slice(0, 3)).toEqual(['run', '--name', 'baton-01jtestrun-task-a-3']);
  });

  it('a leftover container of an interrupted attempt is really removed on the next one', async () => {
    const first = dockerIO();
    const ac = new AbortController();
    // Attempt 1 runs; baton "dies": the CLI is gone, the container (the fake's pid file) lives on.
    const running = createDockerExecutor({ killGraceMs: 200 }).run(runTask({ command: ['sleep'] }), first, ac.signal);
    const ended = rejection(running);
    await waitFor(() => first.out.join('').includes('sleeping'));
    const second = dockerIO({ attempt: 2, baseDir: first.baseDir });
    second.env.FAKE_DOCKER_LOG = first.env.FAKE_DOCKER_LOG;
    await docker.run(runTask({ command: ['echo', 'resumed'] }), second, new AbortController().signal);
    expect(await ended).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 143 });
    expect(first.calls().map((c) => c.argv[0])).toEqual(['run', 'rm', 'run']);
  });

  it('without a docker CLI on PATH fails with DOCKER_NOT_FOUND, not retryable', async () => {
    const io = testIO({ env: { PATH: mkdtempSync(path.join(tmpdir(), 'baton-empty-path-')) } });
    const err = await rejection(docker.run(runTask(), io, new AbortController().signal));
    expect(err).toMatchObject({ code: 'DOCKER_NOT_FOUND', retryable: false });
    expect(err.message).toMatch(/no `docker` on PATH.*install it/);
  });
});
