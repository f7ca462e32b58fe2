import { formatDiagnostic, loadWorkflowFile, toDot, toMermaid } from '../../spec/index.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';

export default async function graph(file: string, flags: { format: 'mermaid' | 'dot' }): Promise<number> {
  const loaded = await loadWorkflowFile(file);
  if (!loaded.workflow) {
    for (const d of loaded.diagnostics) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    return EXIT.invalid;
  }
  process.stdout.write((flags.format === 'dot' ? toDot(loaded.workflow) : toMermaid(loaded.workflow)) + '\n');
  return EXIT.ok;
}
