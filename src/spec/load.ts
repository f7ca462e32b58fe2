/**
 * Loading a workflow file: text -> raw document (source.ts) -> canonical shape (the
 * importers, for the `phases` and `workflow.stages` formats) -> schema check (zod) ->
 * model (normalize.ts) -> graph rules. Every stage after parsing runs even when an
 * earlier one found problems, so one `baton validate` shows them all.
 */
// Synchronous reads: node:fs/promises would load ~10 more of Node's modules at start-up.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkChildWorkflows, type ChildFiles } from './child-workflows.js';
import { Reporter } from './diagnostics.js';
import { decodeUtf8 } from './encoding.js';
import { checkExpressions } from './expr-check.js';
import type { Diagnostic } from './diagnostics.js';
import { checkGraph } from './graph-rules.js';
import { importPhases, isPhasesFile } from './import-phases.js';
import { importStages, isStagesFile } from './import-stages.js';
import type { CircuitPolicy, Workflow } from './model.js';
import { normalize } from './normalize.js';
import { isMap } from './raw.js';
import { workflowTextHash } from './text-hash.js';
import type { SkillLookup } from './normalize-skill.js';
import type { RawMap } from './raw.js';
import { WorkflowFile } from './schema.js';
import { parseSource } from './source.js';
import { describeValue, reportIssues } from './zod-issues.js';

/** Largest file accepted, in bytes. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface LoadResult {
  /** Present if and only if there is no error (warnings allowed). */
  workflow?: Workflow;
  diagnostics: Diagnostic[];
  /** SHA-256 of the file's text (loadWorkflowFile), recorded with a run to tell later that the file changed. */
  sha256?: string;
}


export interface LoadOptions {
  /** Whether a program is on PATH, for the SPEC_PROGRAM_NOT_FOUND warning. Default: no check. */
  isOnPath?: (program: string) => boolean;
  /** The skills `uses:` may name: unknown skills and wrong inputs are reported at load time. Default: checked when the task runs. */
  skills?: SkillLookup;
  /**
   * The pools of baton.config.yaml (`resources:`): a task asking for another, or for more
   * than a pool has, is an error at load time. Default: checked when the task runs.
   */
  pools?: Readonly<Record<string, number>>;
  /**
   * The circuits of baton.config.yaml (`circuits:`): a task naming one neither the workflow
   * nor these declare is an error at load time, and the run keeps the definitions its tasks
   * name. Default: a name the workflow does not declare is checked when the task runs.
   */
  circuits?: Readonly<Record<string, CircuitPolicy>>;
  /** The notification channels of baton.config.yaml a notify task may name; default: checked when the task runs. */
  channels?: readonly string[];
  /**
   * The folder the child files of workflow tasks are relative to, for text given without a
   * file (parseWorkflow); loadWorkflowFile uses the file's. Default: children are checked when they run.
   */
  baseDir?: string;
}

/** Parses and checks a workflow given as text; `file` is used in diagnostics and `source`. Never throws. */
export function parseWorkflow(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const children = options.baseDir === undefined ? undefined : childFiles(options.baseDir, [path.resolve(options.baseDir, file)], new Map(), options);
  return parseChecked(text, file, options, children);
}

function parseChecked(text: string, file: string, options: LoadOptions, children: ChildFiles | undefined): LoadResult {
  try {
    return load(text, file, options, children);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { diagnostics: [single(file, 'SPEC_INTERNAL', `could not check the file: ${message}`, 'this is a bug in baton; please report it with the file')] };
  }
}

/** Reads a workflow file and parses it (see parseWorkflow). Never throws. */
export async function loadWorkflowFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  const absolute = path.resolve(file);
  return readWorkflowFile(file, options, [absolute], new Map());
}

/** loadWorkflowFile, for a file met while loading others (`chain`, `loaded`: child-workflows.ts). */
function readWorkflowFile(file: string, options: LoadOptions, chain: readonly string[], loaded: Map<string, LoadResult>): LoadResult {
  let text: string;
  try {
    const info = statSync(file);
    if (info.size > MAX_FILE_BYTES) return { diagnostics: [tooLarge(file, info.size)] };
    if (!info.isFile()) return { diagnostics: [single(file, 'SPEC_READ', 'not a file')] };
    const decoded = decodeUtf8(readFileSync(file));
    if ('problem' in decoded) {
      const { message, hint, line, col } = decoded.problem;
      return { diagnostics: [{ severity: 'error', code: 'SPEC_ENCODING', message, hint, file, line, col }] };
    }
    text = decoded.text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : error instanceof Error ? error.message : String(error);
    return { diagnostics: [single(file, 'SPEC_READ', `cannot read the file: ${message}`)] };
  }
  const result = parseChecked(text, file, options, childFiles(path.dirname(file), chain, loaded, options));
  // Hashed when read (by run): validate never shows the hash.
  let sha256: string | undefined;
  return Object.defineProperty(result, 'sha256', { get: () => (sha256 ??= workflowTextHash(text)), enumerable: true });
}

function childFiles(dir: string, chain: readonly string[], loaded: Map<string, LoadResult>, options: LoadOptions): ChildFiles {
  return { dir, chain, loaded, load: (child, childChain) => readWorkflowFile(child, options, childChain, loaded) };
}

function load(input: string, file: string, options: LoadOptions, children: ChildFiles | undefined): LoadResult {
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_FILE_BYTES) return { diagnostics: [tooLarge(file, bytes)] };
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const source = parseSource(text, file);
  const rep = new Reporter(file, source.index);
  for (const e of source.errors) rep.error(e.code, e.message, { offset: e.offset, path: '' }, e.hint);
  if (source.errors.length > 0) return { diagnostics: rep.result() };
  for (const p of source.problems) rep.error(p.code, p.message, { offset: p.offset, path: '' }, p.hint);
  for (const w of source.warnings) rep.warning(w.code, w.message, { offset: w.offset, path: '' });
  const raw = source.raw;
  if (raw === undefined || raw === null) {
    rep.error('SPEC_EMPTY', 'the file is empty', { offset: 0, path: '' }, 'a workflow needs at least `name` and `tasks`');
    return { diagnostics: rep.result() };
  }
  if (!isMap(raw)) {
    rep.error('SPEC_TYPE', `expected a mapping (name, tasks, ...) at the top level, got ${describeValue(raw)}`, { offset: 0, path: '' });
    return { diagnostics: rep.result() };
  }
  const format = isPhasesFile(raw) ? 'phases' : isStagesFile(raw) ? 'stages' : 'canonical';
  let canonical: RawMap;
  if (format === 'phases') canonical = importPhases(raw, rep);
  else if (format === 'stages') canonical = importStages(raw, rep, options.skills);
  else {
    canonical = raw;
    const checked = WorkflowFile.safeParse(raw);
    if (!checked.success) reportIssues(checked.error.issues, raw, rep);
  }
  const model = normalize(canonical, rep, {
    file,
    format,
    ...(options.isOnPath ? { isOnPath: options.isOnPath } : {}),
    ...(options.skills ? { skills: options.skills } : {}),
    ...(options.pools ? { pools: options.pools } : {}),
    ...(options.circuits ? { circuits: options.circuits } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
  });
  model.workflow.callbacks = checkGraph(model, rep);
  checkExpressions(model, rep);
  // Other files' problems come after this file's own, each with its path.
  const theirs = children === undefined ? [] : checkChildWorkflows(model.nodes, rep, children);
  const diagnostics = [...rep.result(), ...theirs];
  return rep.errorCount === 0 ? { workflow: model.workflow, diagnostics } : { diagnostics };
}

function single(file: string, code: string, message: string, hint?: string): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, message, file, line: 1, col: 1 };
  if (hint !== undefined) d.hint = hint;
  return d;
}

function tooLarge(file: string, bytes: number): Diagnostic {
  const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return single(file, 'SPEC_FILE_TOO_LARGE', `the file is ${mb(bytes)}; the limit is ${mb(MAX_FILE_BYTES)}`, 'split it into smaller workflows');
}

