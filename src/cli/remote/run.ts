/**
 * `baton run --server URL NAME-or-FILE`: a run of a workflow the server serves, started by
 * name (POST /api/workflows/{name}/runs) and followed to its end with the view, summary and
 * exit code of a local run; `--detach` prints its id and leaves it to the server. A file is
 * read here only for its workflow's name: the server runs its own copy.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ReportedError } from '../../observability/error-categories.js';
import { WorkflowInvalidError } from '../../spec/errors.js';
import { formatDiagnostic } from '../../spec/diagnostics.js';
import { parseInteger, parsePairs } from '../args.js';
import { EXIT, exitCodeOf } from '../exit.js';
import { printJsonError } from '../fatal.js';
import { visible } from '../render/visible.js';
import type { RunFlags } from '../commands/run.js';
import { withServer, type Remote } from './connect.js';
import { followToSummary } from './follow.js';
import { checkIdempotencyKey } from '../../engine/run-key.js';
import { foundLine } from '../../runs/existing-run.js';

export interface RemoteRunFlags extends RunFlags {
  /** `--detach`: print the new run's id and leave it to the server. */
  detach?: boolean;
}

interface Started {
  run_id: string;
  status: string;
  /** An earlier start with the same idempotency key made it. */
  existing?: boolean;
  links: Record<string, string>;
}

export async function remoteRun(remote: Remote, given: string | undefined, flags: RemoteRunFlags): Promise<number> {
  if (given === undefined) {
    process.stderr.write('baton: which workflow? usage: baton run --server URL <name or file>\n');
    return EXIT.invalid;
  }
  const named = await workflowName(given, flags.json === true);
  if (typeof named === 'number') return named;
  const inputs = parsePairs(flags.input, '--input');
  const priority = parseInteger(flags.priority, '--priority');
  // Checked here too, so the message names the flag.
  const key = flags.idempotencyKey === undefined ? {} : { idempotency_key: checkIdempotencyKey(flags.idempotencyKey, '--idempotency-key') };
  if (named.file) await noteOtherCopy(remote, named.name, named.file);
  let started: Started;
  try {
    started = await remote.server.post<Started>(`/api/workflows/${encodeURIComponent(named.name)}/runs`, { inputs, ...(priority === undefined ? {} : { priority }), ...key });
  } catch (err) {
    if (named.file && err instanceof ReportedError && err.code === 'WORKFLOW_NOT_FOUND') {
      const message = `${named.file} is workflow ${named.name}, which the server at ${remote.server.url} does not serve (${err.message}): start \`baton serve\` with -w on the folder that holds it`;
      throw new ReportedError(err.code, message, err.category, { details: { ...err.details, file: named.file } });
    }
    throw err;
  }
  const runId = started.run_id;
  const before = started.existing ? `was started before with idempotency key ${JSON.stringify(flags.idempotencyKey)} (${started.status}); nothing new was started` : undefined;
  if (started.existing && !flags.detach) {
    const ended = ['succeeded', 'failed', 'cancelled'].includes(started.status);
    process.stderr.write(withServer(visible(foundLine(runId, named.name, flags.idempotencyKey ?? '', started.status, !ended)) + '\n', remote));
  }
  if (flags.detach) {
    if (flags.json) process.stdout.write(JSON.stringify(started, null, 2) + '\n');
    else process.stdout.write(`${runId}\n`);
    const how = before ?? (started.status === 'queued' ? 'queued; the server starts it in its turn' : started.status === 'cancelled' ? 'skipped (its concurrency key is busy)' : 'started; the server drives it');
    process.stderr.write(withServer(`baton: run ${runId} of ${visible(named.name)} ${how} (see it with: baton status ${runId} --watch)\n`, remote));
    return EXIT.ok;
  }
  return followToSummary({ remote, runId, flags, ctrlC: started.existing ? 'stop' : 'cancel' });
}

/**
 * The workflow's name: the argument itself, or, for a file (one that exists, or an
 * argument shaped like a path), the `name` of the workflow in it. A workflow file with
 * problems gets them listed as a local run does (exit 2).
 */
async function workflowName(given: string, json: boolean): Promise<{ name: string; file?: string } | number> {
  const looksLikeFile = existsSync(given) || /[\\/]/.test(given) || /\.(ya?ml|json|[cm]?[jt]s)$/i.test(given);
  if (!looksLikeFile) return { name: given };
  const { loadDefinition } = await import('../../runs/definition.js');
  const loaded = await loadDefinition(given);
  if ('problem' in loaded) {
    const diagnostics = loaded.problem.diagnostics ?? [];
    for (const d of diagnostics) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    process.stderr.write(visible(`baton: ${given} is not a valid workflow; nothing ran (check it with: baton validate ${given})`) + '\n');
    const invalid = new WorkflowInvalidError(given, diagnostics);
    if (json) printJsonError(invalid);
    return exitCodeOf(invalid);
  }
  return { name: loaded.name, file: given };
}

/** The server runs its copy of the workflow: say so when it is another file than the one named here. */
async function noteOtherCopy(remote: Remote, name: string, file: string): Promise<void> {
  const { workflows } = await remote.server.get<{ workflows: Array<{ name: string; file: string }> }>('/api/workflows');
  const served = workflows.find((w) => w.name === name);
  if (served && path.resolve(served.file) !== path.resolve(file)) {
    process.stderr.write(visible(`baton: note: the server runs its own copy of ${name} (${served.file} there), not ${file} as it is here`) + '\n');
  }
}
