/**
 * The `baton` command. Start-up time matters (people and agents run it constantly), so
 * this file only wires commands; each command's code is imported when it runs.
 */
import { Command, Option } from 'commander';
import { storeOption } from './store.js';
import { VERSION } from '../config/version.js';
import { visible } from './render/visible.js';
import { originOption } from './origin.js';
import { serverOption } from './remote/connect.js';
import { accessCommands } from './access-commands.js';
import { workerCommands } from './worker-commands.js';
import { circuitCommands } from './circuit-commands.js';
import { observabilityCommands } from './observability-commands.js';
import { lazy } from './lazy.js';
import { RUN_TRIGGERS } from '../store/events.js';

/**
 * `step` and `summary` run from their own light bundle (bin/baton.js sends them there);
 * this CLI has them for `--help`, and runs the same code if they reach it.
 */
async function lightEntry() {
  const { main } = await import('./step-entry.js');
  process.exitCode = await main(process.argv.slice(2));
}

const viewOption = () => new Option('--view <mode>', 'progress display').choices(['auto', 'live', 'plain', 'none']).default('auto');

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command('baton')
    .description('A durable workflow engine: run multi-step automation from YAML/JSON workflow files.')
    .version(VERSION, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false })
    // Usage errors (unknown option or command, a missing argument, a bad choice) throw
    // instead of exiting 1, so reportFatal gives them the table's exit code (2). Set
    // before the commands are added: they inherit it.
    .exitOverride()
    // Commander's messages start `error: `; baton's all start `baton: `.
    .configureOutput({ outputError: (text, write) => write(visible(text.replace(/^error: /, 'baton: '), { lines: true })) });

  program
    .command('run')
    .alias('execute')
    .description('run a workflow, recording it in the store, and print a summary (exit 0 succeeded, 1 failed, 2 bad usage, input or workflow, 3 store or sandbox unavailable, 4 waiting for an approval or event, 130 cancelled, 143/129 stopped by SIGTERM/SIGHUP: resume it)')
    .argument('[file]', 'workflow file (.yaml, .yml, .json), TypeScript/JavaScript workflow (.ts, .mts, .js, .mjs), a script in any language (with `baton step` inside), or - for any of them on standard input')
    .option('-i, --input <key=value>', 'a workflow input (repeatable)', collect)
    .option('-e, --env <KEY=VALUE>', 'an environment variable for every task (repeatable)', collect)
    .option('-c, --concurrency <n>', 'tasks running at once (default: the workflow\'s `concurrency`, else 16; a code run\'s steps: no limit)')
    .option('--dry-run', 'print what would run, in order, with resolved commands; run nothing')
    .option('--timeout <duration>', "the run's time limit, over the workflow's own: 30m, 2h (a bare number is seconds); `baton run -` has 300s unless set")
    .option('--priority <n>', "its place among queued runs when its concurrency key or server.max_running is full: higher starts first, ties in arrival order (default 0)")
    .option('--idempotency-key <key>', 'a name for this one start (a deploy id, a delivery id; 1-255 characters): a start with the key of a run of the store started within idempotency.retention (baton.config.yaml, default 24h) starts nothing and follows that run; the key with another workflow or inputs is refused')
    .option('--keep-scratch', '`baton run -`: keep the scratch file the text from standard input was written to (.baton/scratch/)')
    .option('--sandbox [mode]', 'run sandboxed (docs/sandbox.md): `workspace-write`, what --sandbox alone means, makes the project folder writable, the rest of the file system read-only, and cuts the network unless baton.config.yaml allows it; `off` runs without (default: `sandbox:` in baton.config.yaml, else off)')
    .option('--json', 'print one JSON summary document (see docs/cli.md) instead of the human view')
    .option('-f, --follow', 'stream every task\'s output to the terminal as it runs')
    .option('--resume-interrupted', 'resume every interrupted run in the store instead (see `baton resume`)')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(originOption())
    .addOption(serverOption())
    .option('--detach', 'with --server: print the new run\'s id and leave the run to the server, instead of following it')
    .option('--queue <name>', "leave the run to the `baton worker`s of this queue and follow it (the default on a PostgreSQL store: the workflow's `queue:`, else `default`)")
    .option('--local', 'on a PostgreSQL store, drive the run in this process instead of leaving it to workers')
    .addOption(new Option('--run-id <id>', 'the new run\'s id (chosen by baton mcp)').hideHelp())
    .action(lazy(() => import('./commands/run.js')));

  program
    .command('resume')
    .alias('recover')
    .description('go on with an interrupted run: finished tasks are kept, interrupted ones run again (same idempotency key)')
    .argument('<run-id>', 'the run (any unique prefix of its id)')
    .option('-c, --concurrency <n>', 'tasks running at once (default: the workflow\'s `concurrency`, else 16)')
    .option('--json', 'print one JSON summary document instead of the human view')
    .option('-f, --follow', 'stream every task\'s output to the terminal as it runs')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/resume.js')));

  program
    .command('retry')
    .description('run the failed and cancelled tasks of a finished run again (and what they blocked), keeping what succeeded')
    .argument('<run-id>', 'the run (any unique prefix of its id)')
    .option('--from <task>', 're-run this task and everything after it, even what succeeded')
    .option('--new-code', "a code run: run its file's current code from now on, instead of the snapshot it started with")
    .option('-c, --concurrency <n>', 'tasks running at once (default: the workflow\'s `concurrency`, else 16)')
    .option('--json', 'print one JSON summary document instead of the human view')
    .option('-f, --follow', 'stream every task\'s output to the terminal as it runs')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/retry.js')));

  program
    .command('approve')
    .description("answer an approval (an approval task, or ctx.approval in code); a run nobody drives goes on here, to its end or its next wait")
    .argument('<run-id>', 'the run (any unique prefix of its id)')
    .argument('[step]', 'the approval task or step (needed when several are open)')
    .option('--reject', 'reject instead: the task fails with APPROVAL_REJECTED')
    .option('--comment <text>', 'recorded with the answer')
    .option('--json', 'print one JSON summary document of the run instead of the human view')
    .option('-f, --follow', 'stream every step\'s output to the terminal as it runs')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/approve.js')));

  program
    .command('resolve')
    .description('decide what becomes of a task paused after failing (on_failure: pause): run it again, skip it, or let it fail; a run nobody drives goes on here')
    .argument('<run-id>', 'the run (any unique prefix of its id)')
    .argument('[task]', 'the paused task (needed when several are paused)')
    .option('--retry', 'run it again, as a new attempt with its whole retry policy')
    .option('--skip', 'skip it: its dependants are decided as after any skipped task')
    .option('--abort', 'let it fail, as it would have without on_failure: pause')
    .option('--comment <text>', 'recorded with the decision')
    .option('--json', 'print one JSON summary document of the run instead of the human view')
    .option('-f, --follow', 'stream every task\'s output to the terminal as it runs')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/resolve.js')));

  program
    .command('emit')
    .description('deliver an event to the runs waiting for it (wait tasks with event:, ctx.waitForEvent); runs nobody drives go on here')
    .argument('<event>', "the event's name")
    .option('--data <json>', "the event's data, JSON (default null)")
    .option('--run <run-id>', 'only to this run')
    .option('--json', 'print one JSON summary document per run continued instead of the human view')
    .option('-f, --follow', 'stream every step\'s output to the terminal as it runs')
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/emit.js')));

  program
    .command('skill')
    .description('run a skill')
    .command('run')
    .description("run a skill's entry (metadata baton.entry: a workflow or a script in its folder) as a run, in the current folder")
    .argument('[name]', "the skill's name (baton skills list)")
    .option('-w, --with <key=value>', "an input: a workflow entry's declared input, a script's INPUT_<KEY> variable (repeatable)", collect)
    .option('-e, --env <KEY=VALUE>', 'an environment variable for every task (repeatable)', collect)
    .option('--timeout <duration>', "the run's time limit, over the entry's own: 30m, 2h (a bare number is seconds)")
    .option('--idempotency-key <key>', 'a name for this one start, as for `baton run`: a start with the key of a run started within idempotency.retention follows that run instead')
    .option('--sandbox [mode]', 'run sandboxed (docs/sandbox.md): `workspace-write`, what --sandbox alone means, makes the project folder writable, the rest of the file system read-only, and cuts the network unless baton.config.yaml allows it; `off` runs without (default: `sandbox:` in baton.config.yaml, else off)')
    .option('--json', 'print one JSON summary document instead of the human view')
    .option('-f, --follow', "stream every task's output to the terminal as it runs")
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(originOption())
    .addOption(new Option('--run-id <id>', 'the new run\'s id (chosen by baton mcp)').hideHelp())
    .action(lazy(() => import('./commands/skill-run.js')));

  const skills = program.command('skills').description('skills in the Agent Skills format (SKILL.md): the project\'s skills/ and .agents/skills/');
  skills
    .command('list')
    .description('the project\'s skills with their descriptions')
    .option('--json', 'print the skills, and the problems of skill files, as JSON')
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = await (await import('./commands/skills.js')).list(flags);
    });
  skills
    .command('search')
    .description('the project\'s skills ranked for a task, over names, tags, descriptions and instructions')
    .argument('<words...>', 'what the task is, e.g. "restart crashing pods"')
    .option('--limit <n>', 'how many at most (default 10)')
    .option('--json', 'print the ranked skills as JSON, with scores and the words matched')
    .action(async (words: string[], flags: { json?: boolean; limit?: string }) => {
      process.exitCode = await (await import('./commands/skills.js')).search(words, flags);
    });
  skills
    .command('show')
    .description('a skill: its fields, the files beside it and its instructions')
    .argument('<name>', 'the skill\'s name')
    .option('--json', 'print it as JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      process.exitCode = await (await import('./commands/skills.js')).show(name, flags);
    });
  skills
    .command('new')
    .description('create a skill in the project\'s skills/ folder, with a SKILL.md that validates')
    .argument('<name>', 'the skill\'s name: lowercase letters, digits and hyphens')
    .option('--description <text>', 'what it does and when to use it')
    .option('--json', 'print {"created": dir, "file": SKILL.md} instead')
    .action(async (name: string, flags: { description?: string; json?: boolean }) => {
      process.exitCode = await (await import('./commands/skills.js')).create(name, flags);
    });
  skills
    .command('validate')
    .description('check skills against the Agent Skills rules: a skill folder, or every skill in a folder (default: the project\'s)')
    .argument('[dir]', 'a skill folder (holding SKILL.md), or a folder of them')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string | undefined, flags: { json?: boolean }) => {
      process.exitCode = await (await import('./commands/skills.js')).validate(dir, flags);
    });

  program
    .command('init')
    .description('make a baton project here (or in [dir]): baton.config.yaml, .baton/ in .gitignore, skills/, example workflows hello.yaml and hello.ts; files that exist are skipped')
    .argument('[dir]', 'the project folder (created if missing; default: the current folder)')
    .option('--force', 'overwrite the files init writes when they exist')
    .option('--json', 'print what was written and skipped as JSON')
    .action(lazy(() => import('./commands/init.js')));

  program
    .command('create')
    .description('write a new workflow <name>.yaml (or .ts) from a built-in template, with the workflow named <name>')
    .argument('[name]', 'the new workflow\'s name, also its file name (may include a folder: ops/deploy-web)')
    .option('-t, --template <template>', 'the template (see --list): ci-cd, deploy, backup, health-check, etl, hello, hello-ts')
    .option('--list', 'list the templates with what each does')
    .option('--force', 'overwrite the file if it exists')
    .option('--json', 'print what was written (with --list: the templates) as JSON')
    .action(async (name: string | undefined, flags: { template?: string; list?: boolean; force?: boolean; json?: boolean }) => {
      process.exitCode = await (await import('./commands/create.js')).create(name, flags);
    });

  program
    .command('generate')
    .description('write the workflow of a built-in template as it is (seed 004\'s types: ci-cd, deploy, backup, health-check, etl; any template of baton create --list)')
    .requiredOption('--type <type>', 'the template: ci-cd, deploy, backup, health-check, etl, hello, hello-ts')
    .option('-o, --output <file>', 'the file to write (default <type>.yaml, or .ts); - prints it to standard output')
    .option('--force', 'overwrite the file if it exists')
    .option('--json', 'print what was written as JSON')
    .action(async (flags: { type: string; output?: string; force?: boolean; json?: boolean }) => {
      process.exitCode = await (await import('./commands/create.js')).generate(flags);
    });

  program
    .command('cancel')
    .description('cancel a run from another terminal: its process stops the tasks and runs always() cleanup; waits until it has')
    .argument('<run-id>', 'the run (any unique prefix of its id)')
    .option('--reason <text>', 'recorded as the reason', 'cancelled with baton cancel')
    .option('--compensate', "undo the tasks that succeeded first: their compensate: tasks run, the last to succeed first")
    .option('--no-wait', 'return once the request is recorded')
    .option('--timeout <seconds>', 'how long to wait for the run to end (default 60)')
    .option('--json', "print the run's JSON summary once it has ended (with --no-wait: the request made)")
    .addOption(viewOption())
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(originOption())
    .action(lazy(() => import('./commands/cancel.js')));

  program
    .command('history')
    .alias('runs')
    .description('list recent runs, most recent first (interrupted: the process running it is gone)')
    .option('-w, --workflow <name>', 'only runs of this workflow')
    .addOption(
      new Option('-s, --status <status>', 'only runs with this status').choices(['running', 'pending', 'queued', 'waiting', 'interrupted', 'succeeded', 'failed', 'cancelled']),
    )
    .option('--since <when>', 'only runs started since: a duration back from now (30m, 2h, 1d) or a date (2026-11-22, 2026-11-22T15:40)')
    .addOption(new Option('-t, --trigger <kind>', 'only runs fired by this kind of trigger; manual: started by hand').choices([...RUN_TRIGGERS]))
    .option('-n, --limit <n>', 'show at most this many runs (default 20)')
    .option('--json', 'print a JSON array of runs (see docs/cli.md)')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/history.js')));

  program
    .command('status')
    .description('show a run and its tasks, and what to do next')
    .argument('<run-id>', 'the run id, or any unique prefix of it')
    .option('--watch', 'refresh until the run ends, then exit like it (0 succeeded, 1 failed, 130 cancelled; 3 if the store fails)')
    .option('--all', 'list every task (by default finished tasks inside big composites are folded)')
    .option('--json', 'print the run and its tasks as JSON (see docs/cli.md)')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/status.js')));

  program
    .command('logs')
    .description("print a run's output, or one task's, in time order")
    .argument('<run-id>', 'the run id, or any unique prefix of it')
    .argument('[task]', 'only this task (its key, e.g. deploy or "envs[qa]")')
    .option('-n, --tail <n>', 'only the last n lines')
    .option('--since <when>', 'only lines since: a duration back from now (30m, 2h) or a date-time (2026-11-22T15:40)')
    .option('-f, --follow', 'keep printing new lines until the run ends (Ctrl-C stops)')
    .option('--json', 'print JSON Lines: {"task","attempt","stream","at","text"}')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/logs.js')));

  program
    .command('export')
    .description('write a run (header and every event) as JSON Lines, to move or keep it')
    .argument('<run-id>', 'the run id, or any unique prefix of it')
    .option('-o, --output <file>', 'write to this new file instead of stdout')
    .option('--force', 'overwrite the --output file if it exists')
    .addOption(storeOption())
    .action(lazy(() => import('./commands/export.js')));

  program
    .command('import')
    .description('read a run written by `baton export` into the store, and print its id')
    .argument('<file>', 'the export file, or - for stdin')
    .addOption(storeOption())
    .action(lazy(() => import('./commands/import.js')));

  program
    .command('step')
    .description('inside a script run by `baton run`: run a command as a durable step of the run (on a resume, a step that succeeded prints its recorded stdout and is not run again); exits with the command\'s exit code')
    .usage('<id> [options] -- <command...>')
    .argument('<id>', 'the step\'s id, unique in the script (repeats become id#2, id#3...)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--retry <n>', 'tries in all, the first counted (default 1: no retry); a non-zero exit or a timeout is tried again')
    .option('--delay <duration>', 'wait before the first retry: 500ms, 2s, 1m (a bare number is in ms; default 1s)')
    .addOption(new Option('--backoff <kind>', 'how the wait grows between retries (default exponential, x2)').choices(['fixed', 'linear', 'exponential']))
    .option('--timeout <duration>', 'stop the command (its whole process group) after this long, per attempt: 30s, 5m (a bare number is in seconds)')
    .action(lightEntry);

  program
    .command('summary')
    .description('inside a script run by `baton run`: set what the run reports back when it ends (instead of the script\'s last lines of output)')
    .argument('<text...>', 'the summary, or - to read it from stdin')
    .action(lightEntry);

  program
    .command('validate')
    .description('check workflow files; every problem at once, with file:line:col (exit 0 valid, 1 invalid)')
    .argument('<files...>', 'workflow files')
    .option('--json', 'print the problems as JSON')
    .action(lazy(() => import('./commands/validate.js')));

  program
    .command('mcp')
    .description('serve the Model Context Protocol on stdin/stdout, for AI agents: find skills, check workflows, start runs and read them back, every answer bounded (see docs/agents.md)')
    .option('-C, --dir <folder>', "the project's folder (default: the current folder)")
    .addOption(storeOption())
    .action(lazy(() => import('./commands/mcp.js')));

  const triggers = program.command('triggers').description("a workflow's trigger: when it would fire");
  triggers
    .command('test')
    .description("print when the workflow's schedule would fire next, in its time zone and in UTC (nothing runs)")
    .argument('<file>', 'workflow file (or TypeScript workflow)')
    .option('-n, --count <n>', 'how many firings', '10')
    .option('--from <time>', 'count from this time (ISO 8601) instead of now')
    .option('--json', 'print {workflow, triggers: [{type, ...config, firings}]} instead')
    .action(async (file: string, flags: { count?: string; from?: string; json?: boolean }) => {
      process.exitCode = await (await import('./commands/triggers.js')).test(file, flags);
    });

  const schedule = program.command('schedule').description('list, add, remove, pause and resume schedules (docs/server.md#schedules); baton serve fires them');
  schedule
    .command('list')
    .description("every schedule: declared in the project's workflow files, or added with `baton schedule add`; with its next firing")
    .option('-w, --workflows <folder>', "the folder of workflow files (default: the project's root)")
    .option('--json', 'print {schedules: [{id, workflow, cron, timezone, missed, origin, paused, next, file, problem}]}')
    .addOption(storeOption())
    .action(async (flags: { json?: boolean; workflows?: string; store?: string }) => {
      process.exitCode = await (await import('./commands/schedule.js')).list(flags);
    });
  schedule
    .command('add')
    .description("add a schedule to a workflow without editing its file (the workflow must be in the folder baton serve serves)")
    .argument('<file>', 'the workflow file')
    .requiredOption('--cron <expression>', "five fields (minute hour day month weekday), or six with seconds first: '0 2 * * *'")
    .option('--tz <zone>', 'IANA time zone the expression is read in', 'UTC')
    .addOption(new Option('--missed <policy>', 'firings missed while no server ran: skip them, or run once at start').choices(['skip', 'run-once']).default('skip'))
    .option('--json', 'print {id, workflow, cron, timezone, missed, next}')
    .addOption(storeOption())
    .action(async (file: string, flags: { cron: string; tz?: string; missed?: 'skip' | 'run-once'; json?: boolean; store?: string }) => {
      process.exitCode = await (await import('./commands/schedule.js')).add(file, flags);
    });
  for (const [verb, what] of [
    ['rm', 'remove an added schedule (one declared in a file: pause it, or edit the file)'],
    ['pause', 'pause a schedule: baton serve fires it no more until resumed'],
    ['resume', 'resume a paused schedule'],
  ] as const) {
    schedule
      .command(verb)
      .description(what)
      .argument('<id>', 'the schedule id, as `baton schedule list` shows it (added:1, file:nightly:0)')
      .option('-w, --workflows <folder>', "the folder of workflow files (default: the project's root)")
      .addOption(storeOption())
      .action(async (id: string, flags: { workflows?: string; store?: string }) => {
        const commands = await import('./commands/schedule.js');
        process.exitCode = verb === 'rm' ? await commands.remove(id, flags) : await commands.pause(id, flags, verb === 'pause');
      });
  }

  accessCommands(program, lazy);
  workerCommands(program, lazy);
  circuitCommands(program);
  observabilityCommands(program, lazy);

  program
    .command('serve')
    .description('run the daemon: the HTTP API (docs/server.md) that starts and drives runs of the workflows in a folder, and takes over interrupted runs on start; SIGTERM or Ctrl-C lets runs end within --grace, then leaves the rest interrupted for the next start')
    .option('-p, --port <port>', 'the port to listen on (0: any free one, said on stderr)', '8377')
    .option('--host <host>', 'the address to listen on: loopback only until baton has access control (127.0.0.1, ::1, localhost)', '127.0.0.1')
    .option('-w, --workflows <folder>', "the folder of workflow files (default: the project's root)")
    .option('--grace <seconds>', 'on SIGTERM, how long running runs have to end before they are left interrupted', '10')
    .option('--webhook-rate <n>', 'webhook deliveries taken per second (and in a burst); past it they are answered 429', '1000')
    .option('--auth-rate <n>', 'failed authentications one address may make in a minute; past it the address is answered 429 until the minute is over', '20')
    .option('--max-running <n>', 'most runs running at once over the store; more wait in the queue, by priority (default: server.max_running in baton.config.yaml, else no limit)')
    .addOption(storeOption())
    .action(lazy(() => import('./commands/serve.js')));

  program
    .command('graph')
    .description("print the task graph of a workflow as Mermaid or DOT; of a stored run, its workflow's (a code run: its steps as they ran)")
    .argument('<file-or-run>', 'workflow file, or a run id (any unique prefix)')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'))
    .addOption(storeOption())
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
    .option('--openapi', "print the OpenAPI 3.1 document of baton serve's HTTP API instead (docs/server.md)")
    .action(lazy(() => import('./commands/schema.js')));

  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch(async (err: unknown) => {
    const { reportFatal } = await import('./fatal.js');
    process.exitCode = reportFatal(err, { json: process.argv.slice(2).includes('--json') });
  });
