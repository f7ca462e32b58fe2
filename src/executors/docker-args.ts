/**
 * The docker CLI's command lines for a docker task, built as lists of arguments (never a
 * shell string), and the name its container gets. Pure: what is run is in docker.ts.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { DockerBuildTask, DockerRunTask } from '../spec/model.js';

/** The parts of a TaskIO a name is made of. */
export interface AttemptId {
  runId: string;
  taskKey: string;
  attempt: number;
}

/**
 * `baton-<run id>-<task key>-<attempt>`: the same for the same attempt wherever it runs,
 * so cancelling finds the container, and a resumed run finds what an earlier attempt left.
 * A key with characters a container name cannot hold (`deploy[qa]`), or a long one, is
 * written with those replaced and a hash of the whole key, so two keys never share a name.
 */
export function containerName(id: AttemptId, attempt = id.attempt): string {
  let key = id.taskKey.replace(/[^A-Za-z0-9_.-]/g, '-');
  if (key !== id.taskKey || key.length > 64) key = `${key.slice(0, 48)}-${createHash('sha256').update(id.taskKey).digest('hex').slice(0, 8)}`;
  return `baton-${id.runId.toLowerCase()}-${key}-${attempt}`;
}

/** The names earlier attempts of this task gave their containers, oldest first. */
export function earlierNames(id: AttemptId): string[] {
  return Array.from({ length: Math.max(0, id.attempt - 1) }, (_, i) => containerName(id, i + 1));
}

/** `docker build ...`: paths resolved against the workflow file's folder; the image id written to `iidFile`. */
export function buildArgs(task: DockerBuildTask, baseDir: string, iidFile: string): string[] {
  const args = ['build'];
  if (task.dockerfile !== undefined) args.push('--file', resolve(baseDir, task.dockerfile));
  for (const tag of task.tags) args.push('--tag', tag);
  for (const [name, value] of Object.entries(task.build_args)) args.push('--build-arg', `${name}=${value}`);
  if (task.target !== undefined) args.push('--target', task.target);
  if (task.platform !== undefined) args.push('--platform', task.platform);
  args.push('--iidfile', iidFile, resolve(baseDir, task.context));
  return args;
}

/**
 * Names the docker CLI itself reads, or that change how it runs (its daemon, proxies,
 * the dynamic linker): a container variable of such a name is given on the command line,
 * so that setting it for the container does not also steer docker.
 */
const STEERS_DOCKER = /^(DOCKER_|BUILDKIT_|BUILDX_|LD_)|^(PATH|HOME|TMPDIR|GODEBUG|GOMAXPROCS|GOGC|GOMEMLIMIT|GOTRACEBACK|SSL_CERT_FILE|SSL_CERT_DIR)$|_PROXY$/i;

export interface RunCommand {
  args: string[];
  /** Values of the `--env NAME` arguments, for the docker CLI's environment (it hands them to the container). */
  env: Record<string, string>;
}

/**
 * `docker run ...`: labelled with its run, task and attempt. A container variable reaches
 * docker through docker's own environment (`--env NAME`), so its value is not on a command
 * line that any user of the machine can list, unless its name steers docker (STEERS_DOCKER).
 */
export function runArgs(task: DockerRunTask, name: string, id: AttemptId, baseDir: string): RunCommand {
  const args = ['run', '--name', name, '--label', `baton.run_id=${id.runId}`, '--label', `baton.task=${id.taskKey}`, '--label', `baton.attempt=${id.attempt}`];
  if (task.rm) args.push('--rm');
  if (task.pull !== undefined) args.push('--pull', task.pull);
  if (task.platform !== undefined) args.push('--platform', task.platform);
  if (task.network !== undefined) args.push('--network', task.network);
  if (task.workdir !== undefined) args.push('--workdir', task.workdir);
  if (task.user !== undefined) args.push('--user', task.user);
  if (task.entrypoint !== undefined) args.push('--entrypoint', task.entrypoint);
  const env: Record<string, string> = {};
  for (const [variable, value] of Object.entries(task.env)) {
    if (STEERS_DOCKER.test(variable)) {
      args.push('--env', `${variable}=${value}`);
    } else {
      args.push('--env', variable);
      env[variable] = value;
    }
  }
  for (const volume of task.volumes) args.push('--volume', hostPathResolved(volume, baseDir));
  args.push(task.image, ...(task.command ?? []));
  return { args, env };
}

/**
 * `./data:/data:ro` with its host path made absolute against the workflow file's folder
 * (docker wants absolute host paths); an absolute path, a named volume (`cache:/root/.cache`)
 * and a container path alone (an anonymous volume) are left as written.
 */
export function hostPathResolved(volume: string, baseDir: string): string {
  const colon = volume.indexOf(':');
  if (colon <= 0) return volume;
  const host = volume.slice(0, colon);
  if (isAbsolute(host) || !(host === '.' || host === '..' || host.startsWith('./') || host.startsWith('../'))) return volume;
  return `${resolve(baseDir, host)}${volume.slice(colon)}`;
}

/** The registry digest `docker push` prints (`latest: digest: sha256:... size: 1570`), if it did. */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}
