/**
 * The file fields of the docker and data_processor task types, spread into the one task
 * schema of schema.ts. normalize-docker.ts and normalize-data.ts check what a schema cannot
 * say (which fields go together, which action they belong to).
 */
import { z } from 'zod';
import { bool, envMap, expected, str, strict } from './schema-kit.js';

const stringList = (description: string, what: string) =>
  z.union([z.string(), z.array(z.string(expected(`expected ${what}`)))], expected(`expected ${what} or a list of them`)).describe(description);

const format = z
  .enum(['json', 'jsonl', 'lines'])
  .describe('How records are read or written: json (one JSON value, or an array whose elements are the records), jsonl (one JSON value per line), lines (one line of text each). Default: from the file extension (.json json, .jsonl and .ndjson jsonl, anything else lines).');

export const dockerFields = {
  action: z.enum(['build', 'run']).describe('Docker: build an image or run a container. Default: build when dockerfile, context or tags are given, run when image is.'),
  dockerfile: str('Docker build: the Dockerfile, relative to the workflow file. Default: Dockerfile in the context.'),
  context: str('Docker build: the build context folder, relative to the workflow file. Default: the workflow file\'s folder.'),
  tags: stringList('Docker build: the image\'s tags (name:tag). May use ${ } templates.', 'an image tag'),
  build_args: envMap('Docker build: build arguments (--build-arg NAME=value). May use ${ } templates.'),
  target: str('Docker build: the stage of a multi-stage Dockerfile to build. Default: the last.'),
  platform: str('Docker: the platform to build for or run (linux/amd64). Default: the engine\'s.'),
  push: bool('Docker build: push every tag once built. Default false.'),
  image: str('Docker run: the image to run. May use ${ } templates.'),
  entrypoint: str("Docker run: replaces the image's ENTRYPOINT."),
  env: envMap("Docker run: the container's environment (`environment` is the docker CLI's). May use ${ } templates."),
  volumes: stringList('Docker run: host:container[:ro] mounts; a host path starting with . is relative to the workflow file, a bare name is a named volume.', 'a volume'),
  network: str('Docker run: the network to connect the container to (--network).'),
  workdir: str('Docker run: the working directory inside the container.'),
  user: str('Docker run: the user (name or uid[:gid]) the command runs as.'),
  rm: bool('Docker run: remove the container once it ends. Default true.'),
  pull: z.enum(['always', 'missing', 'never']).describe("Docker run: when to pull the image. Default docker's (missing)."),
};

/** `command` of a docker task: a list of arguments, or a string split into words. */
export function dockerCommand() {
  return z.union([z.string(), z.array(z.union([z.string(), z.number(), z.boolean()], expected('expected an argument')))], expected('expected a command line, or a list of arguments'));
}

export const dataProcessorFields = {
  input: z
    .union([
      z.string(),
      z.array(z.string(expected('expected a glob'))),
      strict({
        type: z.literal('file', { error: '[SPEC_INVALID_VALUE] input type' }).describe('The kind of input; only file. Default file.'),
        path: stringList('Globs (data/*.json, logs/**/*.log) or paths of the files to read, relative to the workflow file. May use ${ } templates.', 'a glob'),
        format,
        allow_empty: bool('When no file matches: an empty output instead of failing with DATA_NO_INPUT. Default false.'),
      }).partial(),
    ], expected('expected a glob, a list of globs, or {type: file, path}'))
    .describe('Data processor: the files whose records are processed, in path order.'),
  processor: strict({
    type: z.enum(['javascript', 'typescript', 'python', 'shell']).describe('What runs: a JavaScript, TypeScript or Python script, or a shell command. Default: shell with `command`, else from the script\'s extension.'),
    script: str('The script file, relative to the workflow file.'),
    code: str('The script\'s source inline (instead of `script`).'),
    command: str('A shell command (instead of a script), run as `sh -c command`. May use ${ } templates.'),
    args: z.array(z.union([z.string(), z.number(), z.boolean()]), expected('expected a list of arguments')).describe('Command-line arguments after the script.'),
    per_file: bool('Run one process per input file (BATON_INPUT_FILE names it) rather than one for all of them. Default false.'),
  })
    .partial()
    .describe('Data processor: the program records stream through: it reads them on stdin, one per line, and writes the output records to stdout, one per line.'),
  output: z
    .union([
      z.string(),
      strict({
        type: z.literal('file', { error: '[SPEC_INVALID_VALUE] output type' }).describe('The kind of output; only file. Default file.'),
        path: str('The file to write, relative to the workflow file; replaced whole once the processor succeeds. May use ${ } templates.'),
        format,
      }).partial(),
    ], expected('expected a file path or {type: file, path}'))
    .describe('Data processor: the one file the output records are written to.'),
};
