/**
 * `type: docker`: which action (build or run) a task asks for, and the fields of each
 * (written on the task, or under the seed's `config:`, which normalize-task.ts lifts onto
 * it). The docker CLI's being on PATH is a warning, as for a shell command's program.
 */
import type { Reporter } from './diagnostics.js';
import type { DockerBuildTask, DockerRunTask, DockerTask, TaskBase } from './model.js';
import { missing, type LeafContext } from './normalize-leaf.js';
import { bool, has, listEntries, map, scalarText, str } from './raw.js';
import type { RawMap } from './raw.js';
import { splitWords } from './words.js';

const BUILD_FIELDS = ['dockerfile', 'context', 'tags', 'build_args', 'target', 'push'];
const RUN_FIELDS = ['image', 'command', 'entrypoint', 'env', 'volumes', 'network', 'workdir', 'user', 'rm', 'pull'];
/** What normalize-task.ts allows on a docker task. */
export const DOCKER_FIELDS = ['action', ...BUILD_FIELDS, ...RUN_FIELDS, 'platform'];

export function dockerTask(base: TaskBase, raw: RawMap, ctx: LeafContext): DockerTask {
  const { rep } = ctx;
  dockerOnPath(rep, raw, ctx);
  const action = actionOf(raw, rep);
  const platform = text(raw, 'platform', ctx);
  if (action === 'build') {
    const task: DockerBuildTask = { ...base, type: 'docker', action, context: text(raw, 'context', ctx) ?? '.', tags: [], build_args: nameValues(raw, 'build_args', 'build argument', ctx), push: bool(raw, 'push') ?? false };
    for (const entry of listEntries(raw, 'tags')) {
      if (entry.value.trim() === '' || /\s/.test(entry.value.replace(/\$\{[^}]*\}/g, ''))) {
        rep.error('SPEC_INVALID_VALUE', `'${entry.value}' is not an image tag: it is empty or holds spaces`, rep.value(entry.container, entry.key), 'write name:tag, e.g. myapp:1.4.2');
      }
      task.tags.push(entry.value);
      ctx.exprs.template(entry.container, entry.key);
    }
    if (task.push && task.tags.length === 0) missing(rep, raw, 'a docker build that pushes', 'tags', 'push sends each tag: name them, e.g. tags: [registry.example/myapp:1.4.2]');
    const dockerfile = text(raw, 'dockerfile', ctx);
    if (dockerfile !== undefined) task.dockerfile = dockerfile;
    const target = text(raw, 'target', ctx);
    if (target !== undefined) task.target = target;
    if (platform !== undefined) task.platform = platform;
    return task;
  }
  const task: DockerRunTask = { ...base, type: 'docker', action: 'run', image: text(raw, 'image', ctx) ?? '', env: nameValues(raw, 'env', 'environment variable', ctx), volumes: [], rm: bool(raw, 'rm') ?? true };
  if (!has(raw, 'image') && action === 'run') missing(rep, raw, 'a docker task that runs a container', 'image', 'e.g. image: alpine:3.20');
  const command = commandOf(raw, ctx);
  if (command !== undefined) task.command = command;
  for (const entry of listEntries(raw, 'volumes')) {
    if (entry.value.trim() === '') rep.error('SPEC_INVALID_VALUE', 'a volume cannot be empty', rep.value(entry.container, entry.key), 'write host-path:container-path, e.g. ./data:/data:ro');
    task.volumes.push(entry.value);
    ctx.exprs.template(entry.container, entry.key);
  }
  for (const key of ['entrypoint', 'network', 'workdir', 'user'] as const) {
    const value = text(raw, key, ctx);
    if (value !== undefined) task[key] = value;
  }
  if (platform !== undefined) task.platform = platform;
  const pull = str(raw, 'pull');
  if (pull === 'always' || pull === 'missing' || pull === 'never') task.pull = pull;
  return task;
}

/** `action`, or what the fields given imply: build fields build, `image` runs; undefined (reported) when nothing does. */
function actionOf(src: RawMap, rep: Reporter): 'build' | 'run' | undefined {
  const builds = BUILD_FIELDS.filter((key) => has(src, key));
  const runs = RUN_FIELDS.filter((key) => has(src, key));
  const action = str(src, 'action');
  if (action === 'build' || action === 'run') {
    const others = action === 'build' ? runs : builds;
    for (const key of others) {
      rep.error('SPEC_FIELD_NOT_ALLOWED', `field '${key}' does not apply to \`action: ${action}\` (it is for action ${action === 'build' ? 'run' : 'build'})`, rep.key(src, key), 'remove it, or change `action`');
    }
    return action;
  }
  if (builds.length > 0 && has(src, 'image')) {
    rep.error('SPEC_CONFLICT', `a docker task with both \`image\` and \`${builds[0]}\` could build or run`, rep.key(src, 'image'), 'add `action: build` (and name the image in `tags`) or `action: run`');
  }
  if (builds.length > 0) return 'build';
  if (runs.length === 0) {
    rep.error('SPEC_MISSING_FIELD', 'a docker task needs `image` (to run a container) or `context`/`dockerfile` (to build an image)', rep.value(src), 'e.g. image: alpine:3.20 with command: [echo, hi]; or context: . with tags: [myapp:latest]');
    return undefined;
  }
  return 'run';
}

/** A string field; its templates are checked with the others. */
function text(src: RawMap, key: string, ctx: LeafContext): string | undefined {
  ctx.exprs.template(src, key);
  return str(src, key);
}

/** `env` and `build_args`: NAME: value, where a NAME cannot be empty nor hold `=`. */
function nameValues(src: RawMap, key: string, what: string, ctx: LeafContext): Record<string, string> {
  const out: Record<string, string> = {};
  const values = map(src, key);
  for (const [name, value] of Object.entries(values ?? {})) {
    if (name === '' || name.includes('=')) {
      ctx.rep.error('SPEC_INVALID_VALUE', `'${name}' cannot name a ${what}: a name is not empty and holds no '='`, ctx.rep.key(values!, name));
    }
    const textValue = scalarText(value);
    if (textValue === undefined) continue;
    out[name] = textValue;
    ctx.exprs.template(values!, name);
  }
  return out;
}

/** A list of arguments, or a string split into them as a shell would (words.ts). */
function commandOf(src: RawMap, ctx: LeafContext): string[] | undefined {
  const value = src.command;
  if (typeof value === 'string') {
    ctx.exprs.template(src, 'command');
    const split = splitWords(value);
    if ('error' in split) {
      ctx.rep.error('SPEC_INVALID_VALUE', split.error, ctx.rep.index.charLoc(src, 'command', split.index), 'close the quote, or write the command as a list: [sh, -c, "..."]');
      return [];
    }
    return split.words;
  }
  if (!Array.isArray(value)) return undefined;
  value.forEach((_, i) => ctx.exprs.template(value, i));
  return value.flatMap((arg) => (scalarText(arg) === undefined ? [] : [scalarText(arg)!]));
}

/** Warns, as for a shell command's program, when there is no docker CLI on PATH. */
function dockerOnPath(rep: Reporter, raw: RawMap, ctx: LeafContext): void {
  if (ctx.isOnPath === undefined) return;
  let found = ctx.programs.get('docker');
  if (found === undefined) {
    found = ctx.isOnPath('docker');
    ctx.programs.set('docker', found);
  }
  if (!found) {
    rep.warning('SPEC_PROGRAM_NOT_FOUND', "program 'docker' is not on PATH", rep.value(raw, 'type'), 'install the docker CLI, or ignore this if the run happens elsewhere');
  }
}
