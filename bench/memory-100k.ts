/** Runs 100,000 noop tasks (1,000 chains of 100 under one root) and prints peak RSS in MB. */
import { runWorkflow } from '../src/engine/runner.js';
import { noop, workflow } from '../src/engine/test-dsl.js';
import type { TaskSpec } from '../src/spec/model.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';

const tasks: TaskSpec[] = [noop('root')];
for (let c = 0; c < 1000; c++) {
  for (let i = 0; i < 100; i++) tasks.push(noop(`c${c}-${i}`, { depends_on: [i === 0 ? 'root' : `c${c}-${i - 1}`] }));
}
let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const start = Date.now();
const { state } = await runWorkflow({ store: createMemoryStore(), workflow: workflow(tasks), concurrency: 64 });
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(JSON.stringify({ status: state.status, tasks: tasks.length + 0, ms: Date.now() - start, peak_mb: Math.round(peak / 1048576) }) + '\n');
