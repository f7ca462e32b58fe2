/**
 * docker: `docker build` (then `docker push` of each tag) or `docker run`, through the
 * docker CLI. Each is a process like a shell task's: its own process group, output to the
 * log as it comes, stopped on a timeout or cancel.
 *
 * Stopping the CLI does not stop a container (the engine runs it, not the CLI), so a
 * container runs under a name made from its attempt (docker-args.ts containerName), and on
 * a timeout or cancel `docker stop` is sent to that name (then `docker kill` if stop
 * fails) before the attempt ends. If baton itself dies, the container lives on; the next
 * attempt of the task (a retry, or the run resumed) first removes what earlier attempts
 * left, by their names.
 */
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DockerBuildTask, DockerRunTask, DockerTask } from '../spec/model.js';
import { buildArgs, containerName, earlierNames, pushedDigest, runArgs } from './docker-args.js';
import { ExecutorError } from './errors.js';
import { KILL_GRACE_MS, runProcessGroup, type ProcessResult } from './process-group.js';
import { checkExit, lastChars, processEnv, resolveCwd, scratchFile, STDOUT_OUTPUT_CHARS, type ProcessOptions } from './process-task.js';
import type { Executor, ExecutorResult, TaskIO } from './types.js';

/** What the docker CLI's own exit codes mean for `docker run` (other codes are the container's). */
const RUN_EXIT_HINTS: Record<number, string> = {
  125: ': docker itself failed (the daemon cannot be reached, the image cannot be pulled, or an option is wrong; see stderr)',
  126: ": the container's command cannot be run (not executable)",
  127: ": the container's command was not found in the image",
  137: ': the container was killed (SIGKILL: out of memory, or docker kill)',
};

export function createDockerExecutor(options: ProcessOptions = {}): Executor<DockerTask> {
  return {
    async run(task, io, signal) {
      const program = dockerProgram(io.env);
      return task.action === 'build' ? build(program, task, io, signal, options) : runContainer(program, task, io, signal, options);
    },
  };
}

export const docker = createDockerExecutor();

async function build(program: string, task: DockerBuildTask, io: TaskIO, signal: AbortSignal, options: ProcessOptions): Promise<ExecutorResult> {
  const iidFile = scratchFile(io, 'iid', '.txt');
  await dockerCommand(program, buildArgs(task, io.baseDir, iidFile), {}, task, io, signal, options, {});
  const outputs: Record<string, unknown> = { tags: task.tags };
  const imageId = (await readFile(iidFile, 'utf8').catch(() => '')).trim();
  if (imageId !== '') outputs.image_id = imageId;
  if (task.push) {
    for (const tag of task.tags) {
      const pushed = await dockerCommand(program, ['push', tag], {}, task, io, signal, options, {});
      const digest = pushedDigest(pushed.stdout.toString());
      if (digest !== undefined) outputs.digest = digest;
    }
  }
  return { outputs, exit_code: 0 };
}

async function runContainer(program: string, task: DockerRunTask, io: TaskIO, signal: AbortSignal, options: ProcessOptions): Promise<ExecutorResult> {
  if (io.attempt > 1) await removeEarlier(program, task, io, options);
  const name = containerName(io);
  const { args, env } = runArgs(task, name, io, io.baseDir);
  let stopping: Promise<void> | undefined;
  const onAbort = () => (stopping = stopContainer(program, name, io, options));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await dockerCommand(program, args, env, task, io, signal, options, RUN_EXIT_HINTS);
    return { outputs: { container: name, image: task.image, stdout: lastChars(result.stdout, STDOUT_OUTPUT_CHARS).trim() }, exit_code: 0 };
  } catch (err) {
    await stopping;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** One docker CLI command as the task's process; throws as a shell task does on a non-zero exit. */
async function dockerCommand(
  program: string,
  args: string[],
  env: Record<string, string>,
  task: DockerTask,
  io: TaskIO,
  signal: AbortSignal,
  options: ProcessOptions,
  hints: Record<number, string>,
): Promise<ProcessResult> {
  const what = `docker ${args[0]}`;
  const spec = { program, args, cwd: resolveCwd(task.cwd, io), env, what };
  const result = await runProcessGroup({ ...spec, env: processEnv(spec, io, scratchFile(io, 'output')), killGraceMs: options.killGraceMs }, io, signal);
  checkExit(result, what, hints);
  return result;
}

/**
 * `docker stop` of the attempt's container, allowed the kill grace before docker kills it
 * itself; `docker kill` if stop fails. What they say goes to the task's log.
 */
async function stopContainer(program: string, name: string, io: TaskIO, options: ProcessOptions): Promise<void> {
  const seconds = Math.max(1, Math.ceil((options.killGraceMs ?? KILL_GRACE_MS) / 1000));
  io.stderr(`baton: stopping container ${name}\n`);
  if (await quietly(program, ['stop', '--time', String(seconds), name], io, (seconds + 30) * 1000, true)) return;
  await quietly(program, ['kill', name], io, 30_000, true);
}

/**
 * Containers earlier attempts of the task may have left (baton died while they ran):
 * removed (`rm: true`, as they would have been) or stopped, kept for a look (`rm: false`).
 * Names that are not there are the usual case, so docker's answer is not logged.
 */
async function removeEarlier(program: string, task: DockerRunTask, io: TaskIO, options: ProcessOptions): Promise<void> {
  const names = earlierNames(io);
  const args = task.rm ? ['rm', '--force', ...names] : ['stop', '--time', String(Math.max(1, Math.ceil((options.killGraceMs ?? KILL_GRACE_MS) / 1000))), ...names];
  await quietly(program, args, io, 60_000, false);
}

/** A docker command that is not the task's own work: bounded in time, never failing the task. Whether it exited 0. */
async function quietly(program: string, args: string[], io: TaskIO, timeoutMs: number, logged: boolean): Promise<boolean> {
  const log = logged ? (chunk: string) => io.stderr(chunk) : () => {};
  const spec = { program, args, cwd: io.baseDir, env: {}, what: `docker ${args[0]}` };
  try {
    const result = await runProcessGroup({ ...spec, env: processEnv(spec, io, scratchFile(io, 'output')) }, { ...io, stdout: log, stderr: log }, AbortSignal.timeout(timeoutMs));
    return result.exitCode === 0;
  } catch {
    return false;
  }
}

/** The docker CLI on the task's PATH, or DOCKER_NOT_FOUND saying so. */
function dockerProgram(env: Record<string, string>): string {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, 'docker');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here.
    }
  }
  throw new ExecutorError('DOCKER_NOT_FOUND', `a docker task needs the docker CLI, and there is no \`docker\` on PATH (${dirs.join(path.delimiter) || 'empty'}): install it (Debian and Ubuntu: apt-get install docker.io, or Docker's docker-ce-cli), or put it on PATH`, {
    retryable: false,
  });
}
