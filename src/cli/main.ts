/**
 * The `baton` command. Start-up time matters (people and agents run it constantly), so
 * this file only wires commands; each command's code is imported when it runs.
 */
import { Command, Option } from 'commander';
import { VERSION } from './version.js';

type Loader = () => Promise<{ default: (...args: never[]) => Promise<number> | number }>;

function lazy(load: Loader) {
  return async (...args: unknown[]) => {
    const command = await load();
    process.exitCode = await (command.default as (...a: unknown[]) => Promise<number> | number)(...args);
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('baton')
    .description('A durable workflow engine: run multi-step automation from YAML/JSON workflow files.')
    .version(VERSION, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false });

  program
    .command('run')
    .alias('execute')
    .description('run a workflow and print a summary (exit 0 succeeded, 1 failed, 2 invalid input, 130 cancelled)')
    .argument('<file>', 'workflow file (.yaml, .yml or .json)')
    .option('-i, --input <key=value>', 'a workflow input (repeatable)', collect)
    .option('-e, --env <KEY=VALUE>', 'an environment variable for every task (repeatable)', collect)
    .option('-c, --concurrency <n>', 'tasks running at once (default: the workflow\'s `concurrency`, else 16)')
    .option('--dry-run', 'print what would run, in order, with resolved commands; run nothing')
    .option('--json', 'print one JSON summary document (see docs/cli.md) instead of the human view')
    .option('-f, --follow', 'stream every task\'s output to the terminal as it runs')
    .addOption(new Option('--view <mode>', 'progress display').choices(['auto', 'live', 'plain', 'none']).default('auto'))
    .action(lazy(() => import('./commands/run.js')));

  program
    .command('validate')
    .description('check workflow files; every problem at once, with file:line:col (exit 0 valid, 1 invalid)')
    .argument('<files...>', 'workflow files')
    .option('--json', 'print the problems as JSON')
    .action(lazy(() => import('./commands/validate.js')));

  program
    .command('graph')
    .description('print the task graph of a workflow as Mermaid or DOT')
    .argument('<file>', 'workflow file')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .action(lazy(() => import('./commands/graph.js')));

  program
    .command('eval')
    .description('evaluate an expression and print its value as JSON, to try a condition before using it')
    .argument('<expression>', "an expression, e.g. \"contains(inputs.envs, 'qa')\" or a ${{ }} template")
    .option('--context <file>', 'JSON file with contexts: {"env": {...}, "inputs": {...}, "tasks": {...}}')
    .action(lazy(() => import('./commands/eval.js')));

  program
    .command('schema')
    .description('print the JSON Schema of workflow files (for editors: see docs/workflow-format.md)')
    .action(lazy(() => import('./commands/schema.js')));

  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch(async (err: unknown) => {
    const { reportFatal } = await import('./fatal.js');
    process.exitCode = reportFatal(err);
  });
