/**
 * The DBOS side of the durable-step figure (steps.ts), in a process of its own: DBOS
 * Transact keeps its state in globals and installs its own handlers, which must not share
 * a process with the baton code measured beside it. The same workflow as baton's: `steps`
 * sequential no-op steps, each checkpointed (DBOS.runStep) before the next, returning the
 * sum of what they returned, so a run that skipped its steps cannot pass for a fast one.
 * One warm-up, then `runs` timed workflows, each from the call to its result.
 *
 * argv: connection string, schema, steps, runs. Prints one line of JSON: {"ms": [...]}.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';

const [systemDatabaseUrl, schema, stepsArg, runsArg] = process.argv.slice(2);
if (!systemDatabaseUrl || !schema || !stepsArg || !runsArg) {
  process.stderr.write('usage: dbos-steps-process.js <connection string> <schema> <steps> <runs>\n');
  process.exit(2);
}
const steps = Number(stepsArg);
const runs = Number(runsArg);

DBOS.setConfig({ name: 'baton-bench', systemDatabaseUrl, systemDatabaseSchemaName: schema, logLevel: 'warn' });

const sequentialSteps = DBOS.registerWorkflow(
  async (count: number) => {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += await DBOS.runStep(async () => i, { name: `s${i}` });
    return sum;
  },
  { name: 'sequentialSteps' },
);

await DBOS.launch();
try {
  const expected = (steps * (steps - 1)) / 2;
  const timed = async () => {
    const start = performance.now();
    const sum = await sequentialSteps(steps);
    const ms = performance.now() - start;
    if (sum !== expected) throw new Error(`DBOS workflow of ${steps} steps returned ${sum}, expected ${expected}`);
    return ms;
  };
  await timed(); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) ms.push(await timed());
  process.stdout.write(JSON.stringify({ ms }) + '\n');
} finally {
  await DBOS.shutdown();
}
