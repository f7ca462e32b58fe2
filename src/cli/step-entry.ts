/**
 * `baton step` and `baton summary` without the rest of the CLI. A script calls them once
 * per step, so their start-up is part of every step's cost: bin/baton.js sends their
 * command lines here (all but `--help`), to a bundle of its own that loads no argument
 * parser, store or engine. They talk to the baton running the script over a socket
 * (sdk/step-protocol.ts); the full CLI registers the same commands for help.
 */
import { reportFatal } from './fatal.js';

/** Runs `baton step ...` or `baton summary ...` (args from the command's name on); resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    if (args[0] === 'summary') {
      const { default: summary } = await import('./commands/summary.js');
      return await summary(args.slice(1));
    }
    const { default: step } = await import('./commands/step.js');
    return await step(args.slice(1));
  } catch (err) {
    return reportFatal(err);
  }
}
