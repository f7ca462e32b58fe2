// hello-ts: a TypeScript workflow: durable steps, a shell command, a summary.
//
//   baton run hello-ts.ts               # then: baton history, baton logs <run-id>
//   baton run hello-ts.ts -i who=team
// Each ctx.step's result is recorded: after a crash, `baton resume <run-id>` runs the
// function again and finished steps return their recorded results without running.
// Everything about code workflows: docs/code-workflows.md.
import { workflow } from 'baton';

export default workflow(
  {
    name: 'hello-ts',
    description: 'Say hello from this machine, as a TypeScript workflow.',
    inputs: { who: { type: 'string', default: 'world', description: 'who to greet' } },
  },
  async (ctx, inputs) => {
    // Anything with an effect, or that can differ between runs (a command, the clock), goes in a step.
    const host = await ctx.step('host', async () => (await ctx.sh`uname -n`).stdout.trim());
    const greeting = await ctx.step('greet', () => `Hello, ${inputs.who}, from ${host}!`);
    return ctx.summary(greeting);
  },
);
