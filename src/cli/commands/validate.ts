import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, loadWorkflowFile, type Diagnostic } from '../../spec/index.js';
import { projectSkillResolver } from '../../skills/resolver.js';
import { projectPools } from '../../config/pools.js';
import { projectCircuits } from '../../config/circuits.js';
import { projectChannels } from '../../config/project-channels.js';
import { EXIT } from '../exit.js';
import { codeKind } from '../../spec/file-kind.js';
import type { CodeCheck } from './validate-code.js';
import { visible } from '../render/visible.js';

/** `baton validate`, with code files (sdk/load-code.ts) checked too. */
export default function validate(files: string[], flags: { json?: boolean }): Promise<number> {
  return validateFiles(files, flags, async (file, kind) => (await import('./validate-code.js')).checkCode(file, kind));
}

/**
 * Validates `files`. `checkCode` checks code files (flow.ts, a script); the light entry
 * (validate-entry.ts), which gets workflow files only, has none, so the code bundler is not
 * in its bundle.
 */
export async function validateFiles(files: string[], flags: { json?: boolean }, checkCode?: (file: string, kind: 'js' | 'script') => Promise<CodeCheck>): Promise<number> {
  const isOnPath = programFinder(process.env.PATH ?? '');
  const skills = projectSkillResolver().lookup();
  const pools = projectPools();
  const circuits = projectCircuits();
  const channels = projectChannels();
  const channelNames = channels ? { channels: Object.keys(channels) } : {};
  const results: Array<{ file: string; valid: boolean; diagnostics: Diagnostic[] } & Partial<CodeCheck>> = [];
  for (const file of files) {
    const kind = codeKind(file);
    if (kind !== undefined && checkCode) {
      results.push(await checkCode(file, kind));
      continue;
    }
    const loaded = await loadWorkflowFile(file, { isOnPath, skills, pools, circuits, ...channelNames });
    results.push({ file, valid: loaded.workflow !== undefined, diagnostics: loaded.diagnostics });
  }
  const valid = results.every((r) => r.valid);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ valid, files: results }, null, 2) + '\n');
  } else {
    for (const result of results) {
      for (const d of result.diagnostics) process.stdout.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      const warnings = result.diagnostics.length - errors;
      const extra = warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : '';
      process.stdout.write(
        result.valid ? `${visible(result.file)}: valid${extra}${describeCode(result)}\n` : `${visible(result.file)}: ${errors} error${errors === 1 ? '' : 's'}${extra}\n`,
      );
    }
  }
  return valid ? EXIT.ok : EXIT.failed;
}

/** `: workflow rotate-certs, inputs env (string, required)`, or the script's interpreter. */
function describeCode(result: Partial<CodeCheck>): string {
  if (result.interpreter) return `: a script run by ${visible(result.interpreter.join(' '))}`;
  if (!result.workflow) return '';
  const inputs = Object.entries(result.workflow.inputs).map(([name, spec]) => `${visible(name)} (${spec.type}${spec.required ? ', required' : ''})`);
  return `: workflow ${visible(result.workflow.name)}, ${inputs.length === 0 ? 'no inputs' : `inputs ${inputs.join(', ')}`}`;
}

/** Is a program on PATH? Cached, since a workflow names the same programs many times. */
function programFinder(pathVariable: string): (program: string) => boolean {
  const dirs = pathVariable.split(path.delimiter).filter(Boolean);
  const cache = new Map<string, boolean>();
  return (program) => {
    let found = cache.get(program);
    if (found !== undefined) return found;
    found = program.includes('/') ? executable(program) : dirs.some((dir) => executable(path.join(dir, program)));
    cache.set(program, found);
    return found;
  };
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
