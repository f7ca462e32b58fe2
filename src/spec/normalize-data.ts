/**
 * `type: data_processor` (seed 004): `input` (globs), `processor` (a script or a shell
 * command) and `output` (one file). The short forms `input: data/*.json` and
 * `output: out.jsonl` mean `{type: file, path: ...}`. zod has checked the kinds of values;
 * this checks what goes together.
 */
import type { DataProcessorTask, RecordFormat, TaskBase } from './model.js';
import { EXTENSIONS, missing, type LeafContext } from './normalize-leaf.js';
import { checkProgram } from './program-check.js';
import { bool, has, isMap, listEntries, map, scalarText, str } from './raw.js';
import type { RawMap } from './raw.js';

export const DATA_PROCESSOR_FIELDS = ['input', 'processor', 'output'];

export function dataProcessorTask(base: TaskBase, raw: RawMap, ctx: LeafContext): DataProcessorTask {
  return { ...base, type: 'data_processor', input: inputOf(raw, ctx), processor: processorOf(raw, ctx), output: outputOf(raw, ctx) };
}

function inputOf(raw: RawMap, ctx: LeafContext): DataProcessorTask['input'] {
  const { rep } = ctx;
  const input: DataProcessorTask['input'] = { paths: [], allow_empty: false };
  if (!has(raw, 'input')) missing(rep, raw, 'a data_processor task', 'input', 'the files to read, e.g. input: {type: file, path: "data/*.json"}');
  const given = isMap(raw.input) ? raw.input : undefined;
  const entries = given !== undefined ? listEntries(given, 'path') : listEntries(raw, 'input');
  if (given !== undefined && !has(given, 'path')) missing(rep, given, 'a data_processor input', 'path', 'a glob such as data/*.json, or a list of them');
  for (const entry of entries) {
    if (entry.value.trim() === '') rep.error('SPEC_INVALID_VALUE', 'an input path cannot be empty', rep.value(entry.container, entry.key), 'e.g. data/*.json');
    input.paths.push(entry.value);
    ctx.exprs.template(entry.container, entry.key);
  }
  if (given !== undefined) {
    const format = formatOf(given);
    if (format !== undefined) input.format = format;
    input.allow_empty = bool(given, 'allow_empty') ?? false;
  }
  return input;
}

function processorOf(raw: RawMap, ctx: LeafContext): DataProcessorTask['processor'] {
  const { rep } = ctx;
  const proc = map(raw, 'processor');
  if (proc === undefined) {
    if (!has(raw, 'processor')) missing(rep, raw, 'a data_processor task', 'processor', 'the program the records go through, e.g. processor: {type: javascript, script: scripts/transform.js}');
    return { type: 'shell', command: '', args: [], per_file: false };
  }
  const sources = ['script', 'code', 'command'].filter((key) => has(proc, key));
  if (sources.length === 0) missing(rep, proc, 'a processor', 'script', 'give `script: path/to/file`, inline `code: |`, or a shell `command`');
  if (sources.length > 1) rep.error('SPEC_CONFLICT', `give one of \`script\`, \`code\` and \`command\`, not ${sources.map((s) => `\`${s}\``).join(' and ')}`, rep.key(proc, sources[1]));
  const script = str(proc, 'script');
  const given = str(proc, 'type') as DataProcessorTask['processor']['type'] | undefined;
  let type = given;
  if (has(proc, 'command') && given !== undefined && given !== 'shell') {
    rep.error('SPEC_CONFLICT', `a ${given} processor runs a \`script\` or \`code\`; \`command\` is for type shell`, rep.key(proc, 'command'), 'remove `type`, or give the script');
  } else if (given === 'shell' && !has(proc, 'command') && sources.length > 0) {
    rep.error('SPEC_CONFLICT', 'a shell processor runs a `command`', rep.value(proc, 'type'), 'write `command:`, or set type to javascript, typescript or python');
  }
  if (type === undefined && has(proc, 'command')) type = 'shell';
  if (type === undefined && script !== undefined) {
    const extension = /\.([A-Za-z0-9]+)$/.exec(script)?.[1]?.toLowerCase();
    type = extension === undefined ? undefined : EXTENSIONS[extension];
    if (type === undefined) rep.error('SPEC_MISSING_FIELD', `cannot tell the language of '${script}' from its extension`, rep.value(proc, 'script'), 'add `type: javascript`, `typescript` or `python`');
  }
  if (type === undefined && has(proc, 'code')) missing(rep, proc, 'an inline processor', 'type', 'add `type: javascript`, `typescript` or `python`');
  const out: DataProcessorTask['processor'] = { type: type ?? 'shell', args: [], per_file: bool(proc, 'per_file') ?? false };
  if (script !== undefined) out.script = script;
  const code = str(proc, 'code');
  if (code !== undefined) out.code = code;
  const command = str(proc, 'command');
  if (command !== undefined) {
    out.command = command;
    if (command.trim() === '') rep.error('SPEC_INVALID_VALUE', 'the command is empty', rep.value(proc, 'command'));
    ctx.exprs.template(proc, 'command', 'command');
    checkProgram(rep, proc, ctx.isOnPath, ctx.programs);
  }
  ctx.exprs.template(proc, 'script');
  if (Array.isArray(proc.args)) {
    const args = proc.args;
    args.forEach((arg, i) => {
      const value = scalarText(arg);
      if (value === undefined) return;
      out.args.push(value);
      ctx.exprs.template(args, i);
    });
  }
  return out;
}

function outputOf(raw: RawMap, ctx: LeafContext): DataProcessorTask['output'] {
  const { rep } = ctx;
  if (!has(raw, 'output')) missing(rep, raw, 'a data_processor task', 'output', 'the file to write, e.g. output: {type: file, path: processed/output.json}');
  const given = isMap(raw.output) ? raw.output : undefined;
  const container = given ?? raw;
  const key = given !== undefined ? 'path' : 'output';
  if (given !== undefined && !has(given, 'path')) missing(rep, given, 'a data_processor output', 'path', 'e.g. path: processed/output.json');
  const path = str(container, key) ?? '';
  // The glob characters outside templates: an output is one file.
  if (/[*?[\]{}]/.test(path.replace(/\$\{[^}]*\}/g, ''))) {
    rep.error('SPEC_INVALID_VALUE', `the output is one file, and '${path}' is a glob`, rep.value(container, key), 'name the file, e.g. processed/output.json');
  } else if (has(container, key) && path.trim() === '') {
    rep.error('SPEC_INVALID_VALUE', 'the output path cannot be empty', rep.value(container, key));
  }
  ctx.exprs.template(container, key);
  const output: DataProcessorTask['output'] = { path };
  const format = given !== undefined ? formatOf(given) : undefined;
  if (format !== undefined) output.format = format;
  return output;
}

function formatOf(container: RawMap): RecordFormat | undefined {
  const format = str(container, 'format');
  return format === 'json' || format === 'jsonl' || format === 'lines' ? format : undefined;
}
