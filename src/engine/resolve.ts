import { renderShell, renderTemplate, renderUrl, type Scope } from '../expr/index.js';
import type { DataProcessorTask, DockerTask, LeafTask, TaskSpec } from '../spec/model.js';

/**
 * Renders a task's templates just before it runs, so executors get plain values.
 * Shell commands go through renderShell, which quotes every value for where it lands,
 * so data from outputs or inputs can never become shell syntax; HTTP URLs go through
 * renderUrl, which percent-encodes values so they can never change the URL's host. Inline script `code` is
 * never rendered: data reaches scripts through `inputs`, not by editing their source.
 */
export function resolveTask(spec: LeafTask, scopeOf: () => Scope): LeafTask {
  if (spec.type === 'noop' || spec.type === 'sleep') return spec;
  const scope = scopeOf();
  switch (spec.type) {
    case 'shell':
      return {
        ...spec,
        command: has(spec.command) ? renderShell(spec.command, scope) : spec.command,
        cwd: renderString(spec.cwd, scope),
        environment: renderStrings(spec.environment, scope),
      };
    case 'http':
      return {
        ...spec,
        url: has(spec.url) ? renderUrl(spec.url, scope) : spec.url,
        headers: renderStrings(spec.headers, scope),
        body: renderDeep(spec.body, scope),
        auth: renderDeep(spec.auth, scope) as typeof spec.auth,
        environment: renderStrings(spec.environment, scope),
      };
    case 'script':
      return {
        ...spec,
        script: renderString(spec.script, scope),
        args: spec.args.map((arg) => renderString(arg, scope)!),
        inputs: renderDeep(spec.inputs, scope) as Record<string, unknown>,
        cwd: renderString(spec.cwd, scope),
        environment: renderStrings(spec.environment, scope),
      };
    case 'skill':
      return { ...spec, with: renderDeep(spec.with, scope) as Record<string, unknown>, cwd: renderString(spec.cwd, scope) };
    case 'sql':
      // The SQL itself is never rendered: values reach the database as params, bound by its driver.
      return {
        ...spec,
        connection: renderString(spec.connection, scope)!,
        file: renderString(spec.file, scope),
        migrations: renderString(spec.migrations, scope),
        params: renderDeep(spec.params, scope) as typeof spec.params,
        cwd: renderString(spec.cwd, scope),
      };
    case 'workflow':
      // The file is not rendered (it holds no templates: it is checked at load time).
      return { ...spec, inputs: renderDeep(spec.inputs, scope) as Record<string, unknown> };
    case 'notify':
      // A webhook's URL as an http task's: a value cannot change where the message goes.
      return {
        ...spec,
        message: renderString(spec.message, scope)!,
        url: spec.url !== undefined && has(spec.url) ? renderUrl(spec.url, scope) : spec.url,
        secret: renderString(spec.secret, scope),
        headers: renderStrings(spec.headers, scope),
      };
    case 'docker':
      return resolveDocker(spec, scope);
    case 'data_processor':
      return resolveDataProcessor(spec, scope);
    case 'publish':
      // The broker URL as an http task's: a value cannot change which broker (or with which credentials).
      return {
        ...spec,
        url: has(spec.url) ? renderUrl(spec.url, scope) : spec.url,
        subject: renderString(spec.subject, scope),
        exchange: renderString(spec.exchange, scope),
        routing_key: renderString(spec.routing_key, scope),
        topic: renderString(spec.topic, scope),
        message_id: renderString(spec.message_id, scope),
        headers: renderStrings(spec.headers, scope),
        body: renderDeep(spec.body, scope),
      };
    default:
      return spec;
  }
}

/**
 * A docker task's values are arguments of the docker CLI, never shell text: each renders
 * to exactly one argument (a string `command` was split into words before any value was
 * put in).
 */
function resolveDocker(spec: DockerTask, scope: Scope): DockerTask {
  const common = { cwd: renderString(spec.cwd, scope), environment: renderStrings(spec.environment, scope), platform: renderString(spec.platform, scope) };
  if (spec.action === 'build') {
    return {
      ...spec,
      ...common,
      context: renderString(spec.context, scope)!,
      dockerfile: renderString(spec.dockerfile, scope),
      tags: spec.tags.map((tag) => renderString(tag, scope)!),
      build_args: renderStrings(spec.build_args, scope),
      target: renderString(spec.target, scope),
    };
  }
  return {
    ...spec,
    ...common,
    image: renderString(spec.image, scope)!,
    command: spec.command?.map((arg) => renderString(arg, scope)!),
    entrypoint: renderString(spec.entrypoint, scope),
    env: renderStrings(spec.env, scope),
    volumes: spec.volumes.map((volume) => renderString(volume, scope)!),
    network: renderString(spec.network, scope),
    workdir: renderString(spec.workdir, scope),
    user: renderString(spec.user, scope),
  };
}

/** A processor's shell `command` is quoted like a shell task's; paths are plain text. */
function resolveDataProcessor(spec: DataProcessorTask, scope: Scope): DataProcessorTask {
  const { input, processor, output } = spec;
  return {
    ...spec,
    input: { ...input, paths: input.paths.map((path) => renderString(path, scope)!) },
    processor: {
      ...processor,
      script: renderString(processor.script, scope),
      command: processor.command !== undefined && has(processor.command) ? renderShell(processor.command, scope) : processor.command,
      args: processor.args.map((arg) => renderString(arg, scope)!),
    },
    output: { ...output, path: renderString(output.path, scope)! },
    cwd: renderString(spec.cwd, scope),
    environment: renderStrings(spec.environment, scope),
  };
}

/** The values of a task's `outputs:` templates, with `result` = what its executor returned. */
export function declaredOutputs(spec: TaskSpec, scope: Scope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(spec.outputs)) out[name] = renderTemplate(template, scope);
  return out;
}

export function renderStrings(values: Record<string, string>, scope: Scope): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(values)) {
    if (!has(value)) continue;
    out ??= { ...values };
    out[key] = stringOf(renderTemplate(value, scope));
  }
  return out ?? values;
}

function renderString(value: string | undefined, scope: Scope): string | undefined {
  return value !== undefined && has(value) ? stringOf(renderTemplate(value, scope)) : value;
}

function renderDeep(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') return has(value) ? renderTemplate(value, scope) : value;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, scope)]));
  }
  return value;
}

function stringOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function has(template: string): boolean {
  return template.includes('${');
}
