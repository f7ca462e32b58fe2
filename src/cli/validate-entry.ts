/**
 * `baton validate` without the rest of the CLI. Validating is what editors, hooks and
 * agents run most often, and start-up is most of its time: bin/baton.js sends plain
 * `validate` command lines (workflow files and `--json`, nothing else) here, to a bundle
 * of its own that loads no argument parser wiring, store or engine, and whose compiled
 * code can be cached between runs. Anything else (`--help`, a misspelt option, no file)
 * goes to the full CLI, so usage errors and help read exactly as elsewhere.
 */
import { validateFiles } from './commands/validate.js';
import { reportFatal } from './fatal.js';

/** Runs `baton validate <args>`; resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  try {
    return await validateFiles(
      args.filter((arg) => arg !== '--json'),
      { json },
    );
  } catch (err) {
    return reportFatal(err, { json });
  }
}
