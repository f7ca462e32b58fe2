import { existsSync } from 'node:fs';
import { formatDiagnostic, loadWorkflowFile, toDot, toMermaid } from '../../spec/index.js';
import type { Workflow } from '../../spec/model.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import type { StoreFlags } from '../store.js';

/**
 * `baton graph <file | run-id>`: a workflow file's task graph, or a stored run's: the graph
 * of its workflow's snapshot, or, for a code run, its steps as they ran.
 */
export default async function graph(target: string, flags: { format: 'mermaid' | 'dot' } & StoreFlags): Promise<number> {
  const workflow = existsSync(target) ? await fileWorkflow(target) : await runWorkflowOf(target, flags);
  if (workflow === undefined) return EXIT.invalid;
  process.stdout.write((flags.format === 'dot' ? toDot(workflow) : toMermaid(workflow)) + '\n');
  return EXIT.ok;
}

async function fileWorkflow(file: string): Promise<Workflow | undefined> {
  const loaded = await loadWorkflowFile(file);
  if (!loaded.workflow) {
    for (const d of loaded.diagnostics) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    return undefined;
  }
  return loaded.workflow;
}

async function runWorkflowOf(runId: string, flags: StoreFlags): Promise<Workflow> {
  const { openCliStore } = await import('../store.js');
  const { loadRun } = await import('../../engine/resume.js');
  const { stepsAsWorkflow } = await import('../../engine/steps/ran-graph.js');
  const store = await openCliStore(flags);
  try {
    const state = await loadRun(store.runs, await store.runs.resolveRunId(runId));
    return state.code !== undefined ? stepsAsWorkflow(state) : state.plan.workflow;
  } finally {
    await store.close();
  }
}
