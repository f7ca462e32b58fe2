import path from 'node:path';
import { previewRun } from '../../engine/preview.js';
import { runWorkflow } from '../../engine/runner.js';
import { summarize } from '../../engine/summary.js';
import { resolveInputs } from '../../engine/inputs.js';
import { killAllProcessGroups } from '../../executors/process-group.js';
import { BatonError } from '../../observability/errors.js';
import { formatDiagnostic, loadWorkflowFile } from '../../spec/index.js';
import { createMemoryStore } from '../../store/memory/memory-store.js';
import { parsePairs, parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { LiveView, NoView, PlainView, type ProgressView } from '../render/progress.js';
import { renderSummary } from '../render/summary.js';

interface RunFlags {
  input?: string[];
  env?: string[];
  concurrency?: string;
  dryRun?: boolean;
  json?: boolean;
  follow?: boolean;
  view: 'auto' | 'live' | 'plain' | 'none';
}

export default async function run(file: string, flags: RunFlags): Promise<number> {
  const loaded = await loadWorkflowFile(file);
  for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  if (!loaded.workflow) {
    process.stderr.write(`baton: ${file} is not a valid workflow; nothing ran (check it with: baton validate ${file})\n`);
    return EXIT.invalid;
  }
  const workflow = loaded.workflow;
  let inputs: Record<string, string>;
  let env: Record<string, string>;
  let concurrency: number | undefined;
  try {
    inputs = parsePairs(flags.input, '--input');
    env = parsePairs(flags.env, '--env');
    concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
    if (flags.dryRun) return dryRun(file, workflow, inputs, env, flags.json === true);
  } catch (err) {
    if (err instanceof BatonError) {
      process.stderr.write(`baton: ${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  }

  const out = process.stdout;
  const colors = paint(useColor(out) && !flags.json);
  const viewMode = flags.json ? 'none' : flags.view === 'auto' ? (out.isTTY ? 'live' : 'plain') : flags.view;
  const view: ProgressView =
    viewMode === 'live' ? new LiveView(out, colors) : viewMode === 'plain' ? new PlainView((t) => out.write(t), colors) : new NoView();

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nbaton: cancelling (${signal}); press Ctrl-C again to force\n`);
      controller.abort();
      return;
    }
    killAllProcessGroups('SIGKILL');
    process.stderr.write('baton: forced stop\n');
    process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Tasks run in their own process groups, so nothing kills them with us: make sure.
  const onExit = () => killAllProcessGroups('SIGKILL');
  process.on('exit', onExit);

  const store = createMemoryStore();
  let state: Awaited<ReturnType<typeof runWorkflow>>['state'];
  try {
    const result = await runWorkflow({
      store,
      workflow,
      baseDir: path.dirname(path.resolve(file)),
      inputs,
      env,
      concurrency,
      signal: controller.signal,
      onEvent: (event, runState) => view.event(event, runState),
      onOutput: (task, stream, chunk) => view.output(task, stream, chunk),
      followAll: flags.follow === true,
    });
    state = result.state;
  } catch (err) {
    view.close();
    if (err instanceof BatonError && err.code.startsWith('INPUT_')) {
      process.stderr.write(`baton: ${err.message}\n`);
      return EXIT.invalid;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  view.close();
  const summary = summarize(state);
  if (flags.json) out.write(JSON.stringify(summary, null, 2) + '\n');
  else out.write('\n' + renderSummary(summary, colors, file));
  return summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
}

function dryRun(
  file: string,
  workflow: Parameters<typeof previewRun>[0],
  given: Record<string, string>,
  env: Record<string, string>,
  json: boolean,
): number {
  const inputs = resolveInputs(workflow.inputs, given);
  const envContext = { ...(process.env as Record<string, string>), ...workflow.environment, ...env };
  const steps = previewRun(workflow, {
    contexts: { env: envContext, inputs, run: { id: '(dry run)' }, workflow: { name: workflow.name, version: workflow.version } },
  });
  if (json) {
    process.stdout.write(JSON.stringify({ workflow: workflow.name, steps }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [`Dry run of ${file} (${workflow.name}): ${steps.length} tasks, nothing will run`];
  steps.forEach((step, i) => {
    const indent = '  '.repeat(step.depth + 1);
    const deps = step.depends_on.length > 0 ? ` after ${step.depends_on.join(', ')}` : '';
    lines.push(`${indent}${i + 1}. ${step.key} [${step.type}]${deps}`);
    if (step.condition) lines.push(`${indent}   if: ${step.condition}`);
    if (step.note) lines.push(`${indent}   ${step.note}`);
    if (step.action) lines.push(`${indent}   $ ${step.action.split('\n').join(`\n${indent}     `)}`);
  });
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
