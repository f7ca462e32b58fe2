/**
 * The canonical workflow file format as a zod schema, and its JSON Schema for editors.
 * One task schema holds the fields of every task type (each optional); normalize.ts
 * checks which fields a given type needs and allows, with clearer messages than a
 * union of per-type schemas would give.
 */
import { z } from 'zod';
import { bool, duration, envMap, expected, idList, positiveInt, queueName, retryMatch, str, strict, stringMap } from './schema-kit.js';
import { circuitField, circuitsField } from './schema-circuits.js';
import { dataProcessorFields, dockerCommand, dockerFields } from './schema-docker-data.js';
import { messageTriggerFields, publishFields } from './schema-publish.js';
import { sqlFields } from './schema-sql.js';
import { workflowNotifyFields } from './schema-workflow-notify.js';
import { waitFields } from './schema-waits.js';

export const TASK_TYPES = ['shell', 'http', 'script', 'noop', 'sleep', 'skill', 'publish', 'docker', 'data_processor', 'sql', 'workflow', 'notify', 'approval', 'wait', 'parallel', 'loop', 'conditional'] as const;
/** `type: python` etc. (the seed's form) mean a script task in that language. */
export const SCRIPT_TYPE_ALIASES = ['javascript', 'typescript', 'python'] as const;
/** `type: database` (seed 004's name) means a sql task. */
export const SQL_TYPE_ALIASES = ['database'] as const;

const retryObject = strict({
  attempts: positiveInt('Total tries, counting the first; 1 means no retry. Default 1.'),
  delay: duration('Wait before the first retry. Default 1s.', 'ms'),
  backoff: z
    .union([z.enum(['fixed', 'linear', 'exponential']), z.number().positive({ error: 'the backoff factor must be more than 0' })], expected('expected fixed, linear, exponential or a number (the exponential factor)'))
    .describe('How the wait grows: fixed, linear (delay*n), exponential (delay*2^(n-1)), or a number: exponential with that factor. Default exponential.'),
  max_delay: duration('Upper bound on any single wait. Default none.', 'ms'),
  jitter: z.number(expected('expected a number from 0 to 1')).min(0, { error: 'jitter is a fraction from 0 to 1' }).max(1, { error: 'jitter is a fraction from 0 to 1' }).describe('Random spread of each wait, 0..1 (0.1 = ±10%). Default 0.1.'),
  retry_on: retryMatch('Only failures that match are retried, whatever the task type says of them. Default: what the task type says (exit codes, HTTP 408/429/5xx, timeouts, network errors).'),
  no_retry_on: retryMatch('Failures that match are never retried (checked before retry_on).'),
  max_duration: duration('No retry starts this long after the first attempt started: a budget across attempts. Default none.', 'ms'),
}).partial();

const auth = z
  .union([strict({ username: str('User name.'), password: str('Password (use ${ secrets.NAME }).') }), strict({ bearer: str('Bearer token (use ${ secrets.NAME }).') })], expected('expected {username, password} or {bearer}'))
  .describe('HTTP authentication: basic ({username, password}) or a bearer token.');

const leafFields = {
  id: str('Unique id (letters, digits, _ . -). Required on top-level tasks; tasks inside a composite get one generated if omitted.', 'expected a task id'),
  name: str('Human-readable label.'),
  type: z
    .enum([...TASK_TYPES, ...SCRIPT_TYPE_ALIASES, ...SQL_TYPE_ALIASES], { error: '[SPEC_UNKNOWN_TYPE] task type' })
    .describe('What the task does. May be omitted when `command` is given (shell). javascript/typescript/python mean a script in that language; database means sql.'),
  command: dockerCommand().describe('Shell: the command line, run as `sh -c command`. Docker: the arguments after the image, a list or a string split into words. May use ${ } templates.'),
  shell: str('Shell: the program that runs `command`. Default sh.'),
  cwd: str('Working directory, relative to the workflow file. May use ${ } templates.'),
  environment: envMap('Extra environment variables for this task. May use ${ } templates.'),
  depends_on: idList('Ids of tasks that must succeed before this one starts.'),
  condition: str('Expression: the task runs only when it is true (otherwise it is skipped). For a conditional task: picks then/else.'),
  if: str('Alias of condition.'),
  timeout: duration('Time limit of one attempt (start to close). Approval, wait for an event: how long it waits.', 's'),
  schedule_timeout: duration('Schedule to close: from when the task is first ready to its end, waiting for a slot, pool or worker, every attempt and retry delay included. Past it the task fails with EXEC_DEADLINE, not retried. Leaf tasks only.', 's'),
  heartbeat_timeout: duration('A running attempt that prints nothing on stdout or stderr for this long fails with EXEC_HEARTBEAT_TIMEOUT (retryable). Leaf tasks only.', 's'),
  retry: z
    .union([positiveInt('Total tries'), retryObject], expected('expected a number of attempts or a retry mapping'))
    .describe('Retry policy: a number (total attempts) or {attempts, delay, backoff, max_delay, jitter}.'),
  on_success: idList('Ids of top-level tasks to run when this task succeeds (callbacks).'),
  on_failure: idList('Ids of top-level tasks to run when this task fails (callbacks); or `pause`: once its attempts have failed, the task waits for a person to retry, skip or abort it (baton resolve).'),
  outputs: stringMap('Extra outputs: name -> template evaluated after the task ends (`result` is in scope).', 'a template'),
  live_output: bool('Echo the output to the terminal as it runs. Default false.'),
  continue_on_error: bool('A failure does not fail the run nor skip dependants. Default false.'),
  parallel: bool('Loop: run iterations at once. Default false. Accepted and ignored on other types.'),
  method: str('HTTP: method. Default GET.'),
  url: str('HTTP: URL. Publish: the broker, nats://, amqp://, amqps://, mqtt:// or mqtts:// (usually ${ secrets.BROKER_URL }). May use ${ } templates.'),
  headers: envMap('HTTP: request headers. Publish: the message\'s headers (MQTT: user properties). May use ${ } templates.'),
  body: z.unknown().describe('HTTP: request body. Publish: the message. A string is sent as is, anything else as JSON.'),
  data: z.unknown().describe('HTTP: alias of body.'),
  auth,
  expect_status: z
    .union([z.number().int(), z.array(z.number().int(expected('expected an HTTP status')))], expected('expected an HTTP status or a list of them'))
    .describe('HTTP: statuses that count as success. Default 200-399.'),
  language: z.enum(['javascript', 'typescript', 'python']).describe('Script: language; inferred from the script file extension if omitted.'),
  script: str('Script: path of the script file, relative to the workflow file.'),
  code: str('Script: inline source (instead of `script`).'),
  args: z.array(z.union([z.string(), z.number(), z.boolean()], expected('expected a string')), expected('expected a list of arguments')).describe('Script: command-line arguments.'),
  inputs: z.record(z.string(), z.unknown(), expected('expected a mapping of name: value')).describe('Script: values passed to the script as JSON. Workflow: the child run\'s inputs, checked against what it declares; strings may use ${ } templates.'),
  duration: duration('Sleep, wait: how long.', 's'),
  uses: str('Skill: the name of the skill to run (baton skills list); its run is a child run, and its outputs are this task\'s outputs. Implies type: skill.'),
  with: z.record(z.string(), z.unknown(), expected('expected a mapping of input name: value')).describe('Skill: its inputs, checked against the types its entry declares; strings may use ${ } templates.'),
  wait_for: z.enum(['all', 'any', 'first']).describe('Parallel: all (every child must succeed), any (done when one succeeds), first (the first to end decides). Default all.'),
  max_concurrency: positiveInt('Parallel/loop: most children running at once. Default unlimited.'),
  items: z
    .union([z.array(z.unknown()), z.string()], expected('expected a list or a template string'))
    .describe('Loop: a list, or a template evaluated when the loop starts (e.g. ${ fromJSON(tasks.list.outputs.items) }).'),
  stop_on_failure: bool('Loop: stop starting iterations after one fails. Default true.'),
  resources: z
    .union([z.string(), z.array(z.string(expected('expected a pool name'))), z.record(z.string(), z.number().int().positive({ error: 'an amount is a whole number, at least 1' }))], expected('expected a list of pool names, or a mapping of pool name: amount'))
    .describe("Pools of baton.config.yaml's `resources:` the task holds while it runs, all taken at once: a list (one of each) or pool: amount. Leaf tasks only."),
  ...publishFields,
  ...dockerFields,
  ...dataProcessorFields,
  ...sqlFields,
  ...workflowNotifyFields,
  ...waitFields,
  circuit: circuitField,
  queue: queueName(
    "The work queue its attempts wait in when workers drive the run: workers subscribed to it run them (`baton worker --queues gpu`). On a parallel, loop or conditional: the default of the tasks inside. 1-64 letters, digits, - _ . Default: the workflow's queue, else the run's.",
  ),
};

const optionalFields = Object.fromEntries(Object.entries(leafFields).map(([key, schema]) => [key, schema.optional()])) as {
  [K in keyof typeof leafFields]: z.ZodOptional<(typeof leafFields)[K]>;
};

/** Fields that say when and how a task runs rather than what it does: never inside `config:`. */
const SCHEDULING_FIELDS = new Set(['id', 'name', 'type', 'depends_on', 'condition', 'if', 'timeout', 'schedule_timeout', 'heartbeat_timeout', 'retry', 'on_success', 'on_failure', 'fallback', 'compensate', 'outputs', 'live_output', 'continue_on_error', 'environment', 'cwd', 'queue', 'parallel', 'resources', 'circuit']);
const configFields = Object.fromEntries(Object.entries(optionalFields).filter(([key]) => !SCHEDULING_FIELDS.has(key)));

/** One task; recursive through tasks (parallel), task (loop), then/else (conditional). */
export const Task: z.ZodType = strict({
  ...optionalFields,
  config: strict(configFields).describe("Seed 004's form: the fields of the task's type (connection, migrations_path, dockerfile...) under `config:`, read as if written on the task.").optional(),
  get tasks() {
    return z.array(Task, expected('expected a list of tasks')).min(1, { error: 'a parallel task needs at least one task in `tasks`' }).describe('Parallel: the tasks to run at once.').optional();
  },
  get fallback() {
    return z
      .union([z.string(), Task], expected('expected the id of a top-level task, or a task'))
      .optional()
      .describe("What runs when the task has failed after its retries: the id of a top-level task (which then runs only as a fallback) or a task written here. Its success is the task's, with its outputs. Leaf tasks only.");
  },
  get compensate() {
    return z
      .union([z.string(), Task], expected('expected the id of a top-level task, or a task'))
      .optional()
      .describe("What undoes the task once it succeeded, when the run then fails (or is cancelled with --compensate): the id of a top-level task (which then runs only as a compensation) or a task written here. Compensations run last-succeeded first; `trigger` is the task undone. Leaf tasks only.");
  },
  get task() {
    return Task.optional().describe('Loop: the task run for each item (`item` and `index` are in scope).');
  },
  get then() {
    return Task.optional().describe('Conditional: the task run when the condition is true.');
  },
  get else() {
    return Task.optional().describe('Conditional: the task run when the condition is false.');
  },
}).meta({ id: 'Task', title: 'Task', description: 'One task of a workflow.' });

const inputSpec = strict({
  type: z.enum(['string', 'number', 'boolean', 'json']).describe('Type of the value. Default: that of `default`, else string.'),
  description: str('What the input is for.'),
  default: z.unknown().describe('Value used when the run is started without this input.'),
  required: bool('The run cannot start without it. Default: true when there is no default.'),
}).partial();

const Trigger = strict({
  type: z.enum(['manual', 'schedule', 'webhook', 'file_change', 'event', 'message']).describe('What starts the workflow.'),
  config: strict({
    schedule: str('Cron expression, for type schedule: five fields (minute hour day month weekday), or six with seconds first.'),
    timezone: str('IANA time zone the schedule is read in (Europe/Berlin), for type schedule. Default UTC.'),
    missed: z.enum(['skip', 'run-once']).describe('For type schedule: what `baton serve` does at start about firings missed while it was down: skip them (default), or run once.'),
    files: z.union([z.string(), z.array(z.string())], expected('expected a glob or a list of globs')).describe("Globs (relative to the workflow's folder) whose changes fire it, for type file_change."),
    debounce: duration('For type file_change: changes this close together fire once (default 500ms).', 'ms'),
    webhook: str('URL path, for type webhook: `/trigger/deploy` is served as POST /hooks/trigger/deploy.'),
    secret_env: str('For type webhook: the environment variable holding the HMAC-SHA256 secret deliveries are signed with.'),
    tolerance: duration("For type webhook: how far a delivery's signed timestamp may be from the server's clock (default 5m).", 's'),
    event: str('For type event: the event name (`baton emit NAME`, POST /api/events/NAME) that fires it.'),
    workflow_run: strict({
      workflow: str('The workflow whose runs ending fire this trigger.'),
      status: z.union([z.enum(['succeeded', 'failed', 'cancelled']), z.array(z.enum(['succeeded', 'failed', 'cancelled']))], expected('expected succeeded, failed or cancelled, or a list of them')).describe('Only runs that ended so (default: any end).'),
    })
      .partial()
      .describe('For type event: fire when a run of another workflow ends.'),
    filter: str("A condition over `trigger` (and `env`): a firing it is false for starts no run, and is recorded as filtered (`trigger.payload.ref == 'refs/heads/main'`)."),
    inputs: z.record(z.string(), z.unknown(), expected('expected a mapping of input name: value')).describe('Inputs of the run it starts: values or templates over `trigger` (`${ trigger.payload.ref }`).'),
    priority: z
      .number(expected('expected a whole number'))
      .int({ error: 'expected a whole number' })
      .min(-1_000_000, { error: 'must be at least -1000000' })
      .max(1_000_000, { error: 'must be at most 1000000' })
      .describe("The runs it starts: their place among queued runs when the workflow's concurrency key or the server's max_running is full; higher starts first (default 0)."),
    idempotency_key: str(
      "The idempotency key of the run it starts: a template over `trigger` (and `env`), such as `${ trigger.headers['x-request-id'] }`. A firing whose key belongs to a run started within the retention (a delivery sent again) starts none and is recorded duplicate (docs/server.md#idempotency-keys).",
    ),
    ...messageTriggerFields,
  })
    .partial()
    .describe('Settings of the trigger.'),
}).partial({ config: true });

export const WorkflowFile = strict({
  $schema: str('JSON Schema of this file, for editors.'),
  name: z.string(expected('expected a string')).min(1, { error: 'the name cannot be empty' }).describe('Name of the workflow.'),
  version: z.union([z.string(), z.number()], expected('expected a version string')).describe('Version label of the file (free text).'),
  description: str('What the workflow does.'),
  trigger: Trigger.describe('What starts runs besides `baton run` (docs/server.md#triggers).'),
  triggers: z.array(Trigger, expected('expected a list of triggers')).describe('Several triggers (each like `trigger:`); a file has `trigger:` or `triggers:`.'),
  environment: envMap('Environment variables for every task. May use ${ } templates.'),
  secrets: z
    .array(z.string(expected('expected an environment variable name')).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name (letters, digits, _)' }), expected('expected a list of environment variable names'))
    .describe('Names of environment variables that hold secrets: tasks see them as ${ secrets.NAME } and in their environment; their values are masked as *** in stored logs, events and the terminal.'),
  inputs: z
    .record(z.string(), z.union([inputSpec, z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown())], expected('expected an input definition or a default value')), expected('expected a mapping of input name: definition'))
    .describe('Run inputs: name -> {type, description, default, required}, or name -> default value.'),
  outputs: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]), expected('expected a mapping of output name: template'))
    .describe('What a successful run gives back (a skill\'s outputs to its caller): name -> template, e.g. "${ tasks.check.outputs.status }". Evaluated when every task has ended.'),
  tasks: z.array(Task, expected('expected a list of tasks')).min(1, { error: 'a workflow needs at least one task' }).describe('The tasks, in any order; depends_on sets the order.'),
  circuits: circuitsField,
  timeout: duration('Time limit of the whole run.', 's'),
  expected_duration: duration('How long a run usually takes, for alerts on slow runs (workflow.expected_duration). Default: the median of its recent succeeded runs.', 's'),
  queue: queueName(
    "The work queue of the tasks that name none, and the queue `baton run` submits a run to when workers drive it and --queue names none (docs/postgres.md). 1-64 letters, digits, - _ . Default: the run's queue, else default.",
  ),
  concurrency: z
    .union(
      [
        positiveInt('Most tasks of a run running at once (the older form of `concurrency: {tasks: N}`).'),
        strict({
          key: str('Runs whose key has the same value share its limit: a template over `inputs` and `workflow` (`deploy-${ inputs.env }`). Default: the workflow\'s name.'),
          limit: positiveInt('Runs holding the key at once. Default 1.'),
          on_conflict: z
            .enum(['queue', 'skip', 'cancel-running'])
            .describe('A run that finds the key full: waits its turn (queue, default), is not run (skip: recorded cancelled, with why), or asks the runs holding the key to cancel and starts once they have ended (cancel-running).'),
          tasks: positiveInt('Most tasks of a run running at once (the --concurrency flag wins). Default 16.'),
        }).partial(),
      ],
      expected('expected a mapping {key, limit, on_conflict, tasks}, or a whole number (tasks at once)'),
    )
    .describe('How much runs at once: runs of the workflow (key, limit, on_conflict; docs/workflow-format.md#concurrency) and tasks of a run (tasks).'),
  notifications: strict({
    channels: z.array(z.string(expected('expected a channel name')), expected('expected a list of channel names')).describe('Channel names (configured in baton.config.yaml).'),
    on_completion: bool('Notify when a run ends, whatever the result. Default false.'),
    on_failure: bool('Notify when a run fails. Default true.'),
    on_success: bool('Notify when a run succeeds. Default false.'),
  })
    .partial()
    .describe('Who hears about runs.'),
  alerts: z
    .array(
      strict({
        name: str('Name of the alert.'),
        condition: str("When to alert: an expression over execution, workflow, metrics and error, read at each run's end (execution.status == 'failed', metrics.success_rate < 90, execution.duration > workflow.expected_duration * 2). See docs/observability.md#alerts."),
        channels: z.array(z.string(expected('expected a channel name')), expected('expected a list of channel names')).describe("Where to send it: channels of baton.config.yaml. Default: the workflow's notifications channels."),
        template: str('Message text: a template over the same contexts (${ workflow.name }, ${ error.message }).'),
        window: duration('At most one alert of this rule per workflow within this time; default 1h.', 's'),
      }).partial({ channels: true, template: true, window: true }),
      expected('expected a list of alerts'),
    )
    .describe('Alerts sent when their condition holds.'),
})
  .partial()
  .required({ name: true, tasks: true })
  .meta({ title: 'baton workflow', description: 'A baton workflow file (YAML or JSON). See docs/workflow-format.md.' });

/** JSON Schema of the canonical file format (draft 2020-12). */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WorkflowFile, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The schema as committed in schema/workflow.schema.json (what `baton schema` prints). */
export function workflowJsonSchemaText(): string {
  return `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
}
