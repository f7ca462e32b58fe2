import { loadProject } from '../../config/project.js';
import path from 'node:path';
import { previewRun, previewScope } from '../../engine/preview.js';
import { formatDiagnostic, loadWorkflowFile } from '../../spec/index.js';
import { projectSkillResolver } from '../../skills/resolver.js';
import { projectPools } from '../../config/pools.js';
import { projectCircuits } from '../../config/circuits.js';
import { projectChannels } from '../../config/project-channels.js';
import { WorkflowInvalidError } from '../../spec/errors.js';
import { BatonError } from '../../observability/errors.js';
import { parsePairs } from '../args.js';
import { driveNewRun, type NewRunFlags, type Placement } from '../new-run.js';
import { EXIT, exitCodeOf } from '../exit.js';
import { printJsonError } from '../fatal.js';
import { visible } from '../render/visible.js';
import { codeKind } from '../../spec/file-kind.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';

export interface RunFlags extends NewRunFlags, ServerFlags {
  dryRun?: boolean;
  keepScratch?: boolean;
  resumeInterrupted?: boolean;
  /** `--sandbox [mode]`: true for `--sandbox` alone (cli/sandbox.ts). */
  sandbox?: string | boolean;
}

export default async function run(given: string | undefined, flags: RunFlags & { detach?: boolean }): Promise<number> {
  const remote = await remoteFor(flags, {
    local: [['--dry-run', flags.dryRun === true], ['--resume-interrupted', flags.resumeInterrupted === true], ['--run-id', flags.runId !== undefined], ['- (standard input)', given === '-']],
    unsupported: [
      ['--env', flags.env !== undefined, 'the server runs tasks with its own environment'],
      ['--concurrency', flags.concurrency !== undefined, "the server runs the workflow with its own `concurrency`"],
      ['--timeout', flags.timeout !== undefined, "the server runs the workflow with its own `timeout`"],
      ['--sandbox', flags.sandbox !== undefined, 'the server decides how it runs tasks'],
      ['--keep-scratch', flags.keepScratch === true, 'it is for `baton run -`, a local run'],
      ['--queue', flags.queue !== undefined, "the server drives the runs it starts (its store's workers are for runs submitted to the store)"],
      ['--local', flags.local === true, 'the server drives the run'],
    ],
  });
  if (flags.idempotencyKey !== undefined && (flags.dryRun || flags.resumeInterrupted)) {
    throw new BatonError('CLI_USAGE', `--idempotency-key names a new run's start: ${flags.dryRun ? '--dry-run starts none' : '--resume-interrupted goes on with runs already started'}`, { details: { flag: '--idempotency-key' } });
  }
  if (remote) return (await import('../remote/run.js')).remoteRun(remote, given, flags);
  if (flags.detach) throw new BatonError('CLI_USAGE', '--detach is for a run on a server (--server URL or BATON_SERVER): a local run is driven by this process, to its end');
  const { enterSandbox, sandboxFlag } = await import('../sandbox.js');
  const { mode, argument: file } = sandboxFlag(flags.sandbox, given);
  if (flags.resumeInterrupted && flags.sandbox !== undefined) {
    throw new BatonError('CLI_USAGE', '--sandbox is for new runs: --resume-interrupted goes on with each run in the sandbox it started in (or none)');
  }
  // A dry run runs nothing; resumed runs keep the sandbox they started in (commands/resume.ts).
  if (!flags.dryRun && !flags.resumeInterrupted) {
    const code = await enterSandbox(mode, flags, { home: file === '-' });
    if (code !== undefined) return code;
  }
  return runFile(file, flags, {});
}

/** `placement`: where a run baton starts itself works (`baton run -`, `baton skill run`). */
export async function runFile(file: string | undefined, flags: RunFlags, placement: Placement): Promise<number> {
  if (flags.resumeInterrupted) {
    if (file !== undefined) {
      process.stderr.write('baton: --resume-interrupted resumes stored runs; it takes no workflow file (run the file separately)\n');
      return EXIT.invalid;
    }
    return resumeInterrupted(flags);
  }
  if (file === undefined) {
    process.stderr.write('baton: which workflow? usage: baton run <file> (or --resume-interrupted)\n');
    return EXIT.invalid;
  }
  if (file === '-') return runStdin(flags);
  const kind = codeKind(file);
  if (kind !== undefined) {
    if (flags.dryRun) {
      process.stderr.write(`baton: --dry-run previews a workflow file's tasks; ${file} is code, whose steps are known only as it runs (check it with: baton validate ${file})\n`);
      return EXIT.invalid;
    }
    const { runCode } = await import('../code-run.js');
    return runCode(file, kind, flags, placement);
  }
  // `uses:`, `resources` and `notify:` are checked before anything runs: the skill is there
  // and takes these inputs, the pools and channels are in baton.config.yaml.
  const channels = projectChannels();
  const loaded = await loadWorkflowFile(file, { skills: projectSkillResolver().lookup(), pools: projectPools(), circuits: projectCircuits(), ...(channels ? { channels: Object.keys(channels) } : {}) });
  for (const d of loaded.diagnostics) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
  if (!loaded.workflow) {
    process.stderr.write(visible(`baton: ${file} is not a valid workflow; nothing ran (check it with: baton validate ${file})`) + '\n');
    const invalid = new WorkflowInvalidError(file, loaded.diagnostics);
    if (flags.json) printJsonError(invalid);
    return exitCodeOf(invalid);
  }
  const workflow = loaded.workflow;
  if (flags.dryRun) {
    // A bad --input throws: reportFatal says so, with its code (and in --json).
    return dryRun(file, workflow, parsePairs(flags.input, '--input'), parsePairs(flags.env, '--env'), flags.json === true);
  }
  return driveNewRun(file, flags, { workflow, source: { file: path.resolve(file), sha256: loaded.sha256! } }, placement);
}

/**
 * `baton run -`: what standard input holds, from a scratch file (cli/stdin-run.ts), in the
 * current folder, with the ad-hoc time limit.
 */
async function runStdin(flags: RunFlags): Promise<number> {
  const { checkAllowed, readStdin, writeScratch, STDIN_TIMEOUT_MS } = await import('../stdin-run.js');
  const { scripts } = loadProject().config;
  const text = await readStdin();
  checkAllowed(text, scripts?.allowed_extensions);
  const scratch = writeScratch(text);
  let code: number | undefined;
  try {
    code = await runFile(scratch.file, flags, { baseDir: process.cwd(), defaultTimeout: scripts?.timeout ?? STDIN_TIMEOUT_MS });
    return code;
  } finally {
    // Not a valid workflow: its diagnostics name the file, which stays to be looked at.
    if (code === EXIT.invalid) process.stderr.write(`baton: kept ${scratch.file}: what standard input held, for the diagnostics above\n`);
    else if (flags.keepScratch) process.stderr.write(`baton: kept ${scratch.file}\n`);
    else scratch.remove();
  }
}

/** Resumes every interrupted run in the store, one after another (`baton run --resume-interrupted`). */
async function resumeInterrupted(flags: RunFlags): Promise<number> {
  const { resumeAll } = await import('./resume.js');
  return resumeAll(flags);
}

function dryRun(
  file: string,
  workflow: Parameters<typeof previewRun>[0],
  given: Record<string, string>,
  env: Record<string, string>,
  json: boolean,
): number {
  const { steps, tasks, open_loops } = previewRun(workflow, previewScope(workflow, given, env));
  if (json) {
    process.stdout.write(JSON.stringify({ workflow: workflow.name, tasks, open_loops, steps }, null, 2) + '\n');
    return EXIT.ok;
  }
  const loops = open_loops === 0 ? '' : ` + the iterations of ${open_loops} loop${open_loops === 1 ? '' : 's'}`;
  const lines = [`Dry run of ${file} (${workflow.name}): ${tasks} task${tasks === 1 ? '' : 's'}${loops}, nothing will run`];
  steps.forEach((step, i) => {
    const indent = '  '.repeat(step.depth + 1);
    const deps = step.depends_on.length > 0 ? ` after ${step.depends_on.join(', ')}` : '';
    lines.push(`${indent}${i + 1}. ${step.key} [${step.type}]${deps}`);
    if (step.condition) lines.push(`${indent}   if: ${step.condition}`);
    if (step.note) lines.push(`${indent}   ${step.note}`);
    if (step.iterations) {
      for (const it of step.iterations) lines.push(`${indent}   ${it.key}: $ ${(it.action ?? '').split('\n').join(`\n${indent}     `)}`);
      if (step.more_iterations) lines.push(`${indent}   ... and ${step.more_iterations} more`);
    } else if (step.action) lines.push(`${indent}   $ ${step.action.split('\n').join(`\n${indent}     `)}`);
  });
  process.stdout.write(visible(lines.join('\n'), { lines: true }) + '\n');
  return EXIT.ok;
}
