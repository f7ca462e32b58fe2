/**
 * Every error code baton uses, by category (error-categories.ts says what each category
 * means to a shell and to HTTP). Adding a code: put it here under its category;
 * error-categories.test.ts scans src/ and fails for a code that is used but not listed.
 */
import type { ErrorCategory } from './error-categories.js';

export const CODES: Readonly<Record<ErrorCategory, readonly string[]>> = {
  usage: [
    // `baton worker` on a memory store: workers share a store with other processes
    'WORKER_MEMORY_STORE',
    // the HTTP API (server/api.ts): a request that does not match its schema, a body too big,
    // a method a route does not take; baton serve on an address other than loopback (no access control yet)
    'API_BAD_REQUEST',
    'API_BODY_TOO_LARGE',
    'API_METHOD_NOT_ALLOWED',
    // a webhook body that is not the JSON its content type says (triggers/webhook.ts)
    'WEBHOOK_PAYLOAD',
    // a message a message trigger cannot read: not JSON under format: json (or its content
    // type), bigger than it takes (triggers/message.ts); recorded as a refused firing, acked
    'MESSAGE_BODY',
    'MESSAGE_TOO_LARGE',
    'SERVER_NOT_LOOPBACK',
    // access (src/access): a role or namespace name that is not one; a token sent in the query string
    'ACCESS_BAD_ROLE',
    'ACCESS_BAD_NAMESPACE',
    'AUTH_TOKEN_IN_QUERY',
    // `baton emit --data` that is not JSON; `baton approve` of a run with several approvals open, none named
    'USAGE_BAD_DATA',
    // `baton run -` with nothing (or too much) on standard input; a --timeout that is not a duration
    'USAGE_STDIN',
    'USAGE_BAD_DURATION',
    // `baton run -` of a kind of file baton.config.yaml's scripts.allowed_extensions does not list
    'SCRIPT_NOT_ALLOWED',
    'WAIT_AMBIGUOUS',
    // command-line arguments
    'CLI_BAD_NUMBER',
    'CLI_BAD_RUN_ID',
    'CLI_BAD_PAIR',
    'CLI_BAD_SINCE',
    // `baton metrics --since`, GET /api/metrics?since=, the MCP metrics tool: neither a duration nor a date (runs/metrics-window.ts)
    'METRICS_BAD_SINCE',
    // GET /api/metrics/series?bucket= that is no duration of a minute or more, or cuts the window into too many buckets
    'METRICS_BAD_BUCKET',
    'CLI_USAGE',
    // a credentials file of baton login that cannot be read or is not baton's
    'CLI_CREDENTIALS',
    // a bare --server with no BATON_SERVER and no server logged in to
    'CLI_NO_SERVER',
    // tracing asked for (OTEL_EXPORTER_OTLP_*, baton.config.yaml tracing:) that cannot be
    // done as set: an endpoint that is no http(s) URL, grpc asked for, a headers_env not set
    // (said once on stderr; the runs go on untraced)
    'TRACING_ENDPOINT',
    'TRACING_PROTOCOL',
    'TRACING_HEADERS',
    // `baton monitor` (its live screen) with standard output not a terminal, and neither --once nor --json
    'CLI_NOT_A_TERMINAL',
    'EXPORT_WRITE',
    // inputs and secrets given to a run
    'INPUT_MISSING',
    'INPUT_SECRET_MISSING',
    'INPUT_TYPE',
    'INPUT_UNKNOWN',
    // a workflow's concurrency key that cannot be evaluated over the run's inputs, or is empty (engine/admission.ts)
    'RUN_CONCURRENCY_KEY',
    // a run's idempotency key (engine/run-key.ts) that is empty, longer than 255 characters,
    // or holds control characters
    'RUN_IDEMPOTENCY_KEY_EMPTY',
    'RUN_IDEMPOTENCY_KEY_TOO_LONG',
    'RUN_IDEMPOTENCY_KEY_INVALID',
    // an expression given to `baton eval` (in a workflow file they are SPEC_ problems)
    'EXPR_EVAL',
    'EXPR_SYNTAX',
    // baton.config.yaml and BATON_HOME
    'CONFIG_AMBIGUOUS',
    // the file's syntax problems: the SPEC_ codes of source.ts renamed by parseConfig
    'CONFIG_DUPLICATE_KEY',
    'CONFIG_FILE_TOO_LARGE',
    'CONFIG_JSON_SYNTAX',
    'CONFIG_TOO_DEEP',
    'CONFIG_YAML_SYNTAX',
    'CONFIG_YAML_WARNING',
    'CONFIG_YAML_ALIAS',
    'CONFIG_HOME_NOT_FOLDER',
    'CONFIG_INVALID',
    'CONFIG_READ',
    'CONFIG_TOO_LARGE',
    'CONFIG_TYPE',
    'CONFIG_UNKNOWN_FIELD',
    // a file given to `baton import`
    'IMPORT_EMPTY',
    'IMPORT_EVENT',
    'IMPORT_EVENT_TYPE',
    'IMPORT_EXPANSION',
    'IMPORT_HEADER',
    'IMPORT_JSON',
    'IMPORT_NO_EVENTS',
    'IMPORT_NO_HEADER',
    'IMPORT_ORDER',
    'IMPORT_READ',
    // a recorded sandbox that resume could not enter as written
    'IMPORT_SANDBOX',
    'IMPORT_SEQ',
    'IMPORT_SNAPSHOT',
    'IMPORT_UNKNOWN_TASK',
    'IMPORT_VERSION',
    'IMPORT_VERSION_TOO_NEW',
    // a run id prefix that fits several runs: give more characters
    'STORE_RUN_AMBIGUOUS',
    // the sandbox (cli/sandbox.ts): a --sandbox value that is no mode, a writable folder that
    // is missing (or /), a store over the network with none, a BATON_SANDBOX that lies
    'SANDBOX_MODE',
    'SANDBOX_WRITABLE',
    'SANDBOX_STORE_NETWORK',
    'SANDBOX_NOT_INSIDE',
    // `baton step` / `baton summary` called outside a script that `baton run` runs
    'STEP_NO_RUN',
    // `baton mcp`: a tool's arguments that do not go together (file and text); a get_logs
    // offset that no page gave
    'MCP_BAD_ARGUMENTS',
    'LOG_BAD_OFFSET',
    // `baton mcp` with a memory store, which the runs it starts could not share
    'MCP_MEMORY_STORE',
    // `baton create`/`generate`/`init`: a name that cannot name a workflow file, a file that cannot be written
    'TEMPLATE_NAME',
    'TEMPLATE_WRITE',
  ],
  invalid_workflow: [
    'SPEC_CALLBACK_DEPENDS',
    'SPEC_CALLBACK_IN_LOOP',
    'SPEC_CALLBACK_NOT_TOP_LEVEL',
    'SPEC_CALLBACK_SELF',
    'SPEC_CALLBACK_UNREACHABLE',
    'SPEC_CONFLICT',
    'SPEC_CYCLE',
    'SPEC_DEPENDS_IN_TEMPLATE',
    'SPEC_DEPENDS_ON_TEMPLATE',
    'SPEC_DUPLICATE_ID',
    'SPEC_DUPLICATE_KEY',
    'SPEC_DURATION',
    'SPEC_EMPTY',
    'SPEC_EXPR_SYNTAX',
    'SPEC_FIELD_NOT_ALLOWED',
    'SPEC_FILE_TOO_LARGE',
    'SPEC_INVALID',
    'SPEC_INVALID_ID',
    'SPEC_INVALID_VALUE',
    'SPEC_JSON_SYNTAX',
    'SPEC_MISSING_FIELD',
    'SPEC_MISSING_ID',
    'SPEC_NESTED_DEPENDENCY',
    'SPEC_PROGRAM_NOT_FOUND',
    'SPEC_RETRY_NO_ATTEMPTS',
    'SPEC_RETRY_ON_COMPOSITE',
    'SPEC_SELF_DEPENDENCY',
    'SPEC_STAGE_CONDITION',
    'SPEC_TOO_DEEP',
    'SPEC_TOO_MANY_PROBLEMS',
    'SPEC_TYPE',
    'SPEC_UNKNOWN_AGENT',
    // a task's `resources` naming a pool baton.config.yaml does not have, or more than it has
    'SPEC_UNKNOWN_RESOURCE',
    // a task's `circuit:` naming a circuit neither the workflow nor baton.config.yaml declares (spec/normalize-circuits.ts)
    'SPEC_UNKNOWN_CIRCUIT',
    'SPEC_RESOURCE_OVER_CAPACITY',
    // a `queue:` (of a task or the workflow) that is not 1-64 letters, digits, - _ .
    'SPEC_BAD_QUEUE',
    // `fallback:` (spec/normalize-roles.ts)
    'SPEC_FALLBACK_NOT_LEAF',
    'SPEC_FALLBACK_SELF',
    'SPEC_FALLBACK_REFERENCED',
    'SPEC_FALLBACK_FIELD',
    'SPEC_FALLBACK_ON_COMPOSITE',
    // `compensate:` (spec/normalize-roles.ts)
    'SPEC_COMPENSATE_NOT_LEAF',
    'SPEC_COMPENSATE_SELF',
    'SPEC_COMPENSATE_REFERENCED',
    'SPEC_COMPENSATE_FIELD',
    'SPEC_COMPENSATE_ON_COMPOSITE',
    // `on_failure: pause` (spec/normalize-waits.ts) on a composite, or in a workflow with a task named pause
    'SPEC_PAUSE_ON_COMPOSITE',
    'SPEC_PAUSE_AMBIGUOUS',
    // a workflow task's child file (spec/child-workflows.ts): missing, not a valid workflow,
    // given inputs it does not take, or leading back to a workflow that runs it
    'SPEC_WORKFLOW_NOT_FOUND',
    'SPEC_WORKFLOW_INVALID',
    'SPEC_WORKFLOW_INPUT',
    'SPEC_WORKFLOW_RECURSION',
    // a notify task (spec/normalize-notify.ts): a channel baton.config.yaml does not define,
    // a signing key written in clear
    'SPEC_UNKNOWN_CHANNEL',
    'SPEC_SECRET_IN_CLEAR',
    'SPEC_UNKNOWN_FIELD',
    'SPEC_UNKNOWN_STAGE',
    'SPEC_UNKNOWN_TASK',
    'SPEC_UNUSED_AGENT',
    'SPEC_URL_HOST',
    // a sql task's query holding ${ } (values go through params), a :name without a value in
    // params (or a value no :name uses), and a warning: a password written in a connection
    'SPEC_SQL_TEMPLATE',
    'SPEC_SQL_PARAM',
    'SPEC_SQL_PASSWORD',
    'SPEC_YAML_SYNTAX',
    'SPEC_YAML_WARNING',
    'SPEC_YAML_ALIAS',
    'SPEC_ENCODING',
    // what expressions read (spec/expr-check.ts)
    'SPEC_UNKNOWN_CONTEXT',
    'SPEC_CONTEXT_UNAVAILABLE',
    'SPEC_UNKNOWN_INPUT',
    'SPEC_UNKNOWN_SECRET',
    'SPEC_UNKNOWN_PROPERTY',
    'SPEC_MISSING_DEPENDENCY',
    'SPEC_SHELL_VARIABLE_IS_CONTEXT',
    // a warning: `concurrency: N`, the older form of `concurrency: {tasks: N}`
    'SPEC_CONCURRENCY_NUMBER',
    // `uses:` of a skill that is not there, has nothing to run, or is given inputs it does
    // not declare (spec/normalize-skill.ts, when the loader is given the skills)
    // a schedule trigger's cron expression or time zone (spec/normalize.ts; the values of
    // each cron field are checked by the scheduler: TRIGGER_CRON)
    'SPEC_INVALID_CRON',
    'SPEC_INVALID_TIMEZONE',
    'TRIGGER_CRON',
    'SPEC_UNKNOWN_SKILL',
    'SPEC_SKILL_NOT_RUNNABLE',
    'SPEC_SKILL_INPUT',
    // a TypeScript/JavaScript workflow's code (sdk/load.ts): it does not bundle, an import
    // does not resolve, its top level threw, or it exports no workflow()
    'CODE_EVAL',
    'CODE_IMPORT',
    'CODE_NO_WORKFLOW',
    'CODE_SYNTAX',
    // a skill's SKILL.md (skills/skill-file.ts): the Agent Skills standard's rules
    'SKILL_NO_FRONT_MATTER',
    'SKILL_YAML',
    'SKILL_NAME',
    'SKILL_NAME_FOLDER',
    'SKILL_DESCRIPTION',
    'SKILL_FIELD_TYPE',
    'SKILL_UNKNOWN_FIELD',
    'SKILL_NOT_PORTABLE',
    'SKILL_ENTRY',
    // `baton skill run` of a skill with no runnable entry
    'SKILL_NOT_RUNNABLE',
    // a script baton cannot tell how to run; a workflow() call with bad settings
    'CODE_NO_INTERPRETER',
    'CODE_BAD_WORKFLOW',
  ],
  run_failed: [
    // a code run (engine/steps/): a step failed or was given bad options, its result cannot
    // be recorded, the code threw, took another path on a resume, or a wait ended unanswered
    'STEP_ERROR',
    'STEP_FAILED',
    'STEP_CANCELLED',
    'STEP_KEY_INVALID',
    'STEP_BAD_OPTIONS',
    'STEP_REQUIRED',
    'STEP_RESULT_TOO_LARGE',
    'STEP_RESULT_NOT_JSON',
    // the `baton step` process of a script's step died before saying how its command ended
    'STEP_CLIENT_LOST',
    'CODE_FAILED',
    'CODE_STALLED',
    'RUN_CHILD_FAILED',
    // a workflow task's child run cancelled by someone else than its parent (engine/workflow-run.ts)
    'RUN_CHILD_CANCELLED',
    'RUN_NONDETERMINISTIC',
    // a worker ran the code of a run again up to a remote step, and the code took another path
    'STEP_NOT_REACHED',
    'APPROVAL_REJECTED',
    'APPROVAL_TIMEOUT',
    'EVENT_TIMEOUT',
    // a wait task's `until` that renders to something that is not a time (engine/waits.ts)
    'WAIT_BAD_TIME',
    // a task's attempt (executors)
    'EXEC_ABORTED',
    'EXEC_EXIT_CODE',
    'EXEC_NUL_BYTE',
    'EXEC_SIGNAL',
    'EXEC_SPAWN',
    // a task's schedule_timeout (from first ready to end) passed; an attempt silent for its heartbeat_timeout
    'EXEC_DEADLINE',
    'EXEC_HEARTBEAT_TIMEOUT',
    'EXEC_TIMEOUT',
    'HTTP_NETWORK',
    'HTTP_REQUEST',
    'HTTP_STATUS',
    'SCRIPT_OUTPUT',
    // a progress report a task gave that is not one (`progress=abc` in $BATON_OUTPUT, ctx.progress(150)):
    // not raised, the report is ignored with one warning line in the task's log (executors/progress-input.ts)
    'PROGRESS_INVALID',
    // a sql task (executors/sql/errors.ts): a connection that names no database, one that
    // cannot be reached or refuses the login, a statement the database refused, params that
    // do not fit the placeholders, a .sql file or migrations folder that cannot be read, a
    // failed migration, an applied migration edited since, a driver that cannot be loaded
    'SQL_CONNECTION',
    'SQL_CONNECT',
    'SQL_QUERY',
    'SQL_PARAMS',
    'SQL_FILE',
    'SQL_MIGRATION',
    'SQL_MIGRATION_CHANGED',
    'SQL_DRIVER',
    // a docker task on a machine without the docker CLI (executors/docker.ts)
    'DOCKER_NOT_FOUND',
    // a data_processor (executors/data-processor.ts): no file matched its input globs, an
    // input that cannot be read or is not the JSON its format says, a processor's output line
    // that is not JSON (or an output that cannot be written), a record longer than the limit
    'DATA_NO_INPUT',
    'DATA_INPUT',
    'DATA_OUTPUT',
    'DATA_RECORD_TOO_LONG',
    // a notification (a notify task, executors/notify.ts; a run's or an alert's notice,
    // observability/channels/): a channel the configuration does not define, a secret from
    // an environment variable that is not set or a file that cannot be read where it is sent,
    // a URL that is not one the channel takes, an SMTP server that refused or could not be
    // reached, a command channel's program that failed or ran past its timeout
    'NOTIFY_UNKNOWN_CHANNEL',
    'NOTIFY_ENV_UNSET',
    'NOTIFY_SECRET_FILE',
    'NOTIFY_BAD_URL',
    'NOTIFY_SMTP',
    'NOTIFY_SMTP_NETWORK',
    'NOTIFY_COMMAND_EXIT',
    'NOTIFY_COMMAND_TIMEOUT',
    // a publish task's broker (brokers/errors.ts): a URL that is none, unreachable, credentials
    // refused, the message refused (no stream, exchange or queue takes it), not confirmed in
    // time; also what a message trigger's subscription says in the log and GET /api/triggers
    'BROKER_URL',
    'BROKER_UNREACHABLE',
    'BROKER_AUTH',
    'BROKER_REFUSED',
    'BROKER_UNCONFIRMED',
    // a value that would change a URL's scheme or host, found as the task runs
    'EXPR_URL',
    // ctx.sh and ctx.http in a TypeScript workflow's step (sdk/): a command that failed,
    // output that is not JSON; and SH_BAD_VALUE, a value the script put in a command
    // (null, an object...): the script author's mistake, but found only as the step runs,
    // so it fails that step like any other run-time error rather than being usage
    'HTTP_JSON',
    'SH_BAD_VALUE',
    'SH_EXIT',
    'SH_JSON',
    // JSON from a task, a response or fromJSON() nested too deeply or too big to keep
    'DATA_TOO_DEEP',
    'DATA_TOO_LARGE',
    // composites and the run as a whole (engine)
    'LOOP_FAILED',
    'LOOP_ITEMS',
    'PARALLEL_FAILED',
    'RUN_TASKS_FAILED',
    'RUN_TASK_FAILED',
    // the workflow's `outputs:` could not be evaluated once its tasks ended
    'RUN_OUTPUTS',
    'RUN_TIMEOUT',
    'TASK_FAILED',
    // a task asking, as it runs, for a pool the configuration does not have, or for more than it has (engine/resources.ts)
    'RESOURCE_UNKNOWN',
    'RESOURCE_OVER_CAPACITY',
    // a task's circuit breaker is open (or every probe slot is taken): the attempt did not run,
    // and may be retried; a circuit a task names that its run cannot find (engine/circuits.ts)
    'CIRCUIT_OPEN',
    'CIRCUIT_UNKNOWN',
  ],
  not_found: [
    // a route the API does not have; a workflow the served folder does not have; a webhook path no trigger serves
    'API_NOT_FOUND',
    'WEBHOOK_NOT_FOUND',
    // `baton schedule rm|pause|resume` of a schedule there is not
    'SCHEDULE_NOT_FOUND',
    // `baton circuits reset` (or the API) of a circuit the store holds no state of
    'CIRCUIT_NOT_FOUND',
    'WORKFLOW_NOT_FOUND',
    // a skill folder without SKILL.md; `baton skills show` of a skill the project has not
    'SKILL_NOT_FOUND',
    // `baton approve` of a run with no such approval open
    'WAIT_NOT_FOUND',
    // `baton create --template` / `generate --type` of a template baton does not have
    'TEMPLATE_NOT_FOUND',
    'CLI_TASK_NOT_FOUND',
    // a workflow's code file (sdk/load.ts) that is missing, or cannot be read (as SPEC_READ)
    'CODE_NOT_FOUND',
    'CODE_READ',
    'RUN_UNKNOWN_TASK',
    'SPEC_READ',
    'STORE_NOT_FOUND',
    'STORE_RUN_NOT_FOUND',
    // a token id that baton token revoke (or the API) does not know; a namespace a request cannot see
    'TOKEN_NOT_FOUND',
    'NAMESPACE_NOT_FOUND',
  ],
  unauthenticated: [
    // a request to baton serve without a token, with one that is not baton's, unknown, revoked or expired
    'AUTH_MISSING',
    'AUTH_BAD_TOKEN',
    'AUTH_REVOKED',
    'AUTH_EXPIRED',
    // a webhook delivery whose signature is missing or wrong, or whose signed timestamp is
    // outside the trigger's tolerance (triggers/webhook.ts)
    'WEBHOOK_SIGNATURE',
    'WEBHOOK_STALE',
  ],
  forbidden: [
    // a token whose roles do not grant what the request needs (src/access/permissions.ts); a
    // request to a route the permission table does not list; approving a run one started
    // (server.access.separate_approvers)
    'ACCESS_DENIED',
    'ACCESS_UNLISTED',
    'APPROVAL_BY_STARTER',
    // an answer to a workflow file's approval from someone its `approvers` do not name (engine/steps/answer.ts)
    'APPROVAL_NOT_APPROVER',
    // a request to /mcp whose Host or Origin is not one of this server's names (DNS rebinding)
    'MCP_BAD_HOST',
    'MCP_BAD_ORIGIN',
  ],
  rate_limited: [
    // too many failed authentications from one address in a while
    'AUTH_RATE_LIMITED',
    // more webhook deliveries than server.webhook_rate per second
    'WEBHOOK_RATE',
  ],
  conflict: [
    // a webhook delivery (its signature, or delivery id) that was recorded before: a replay
    'WEBHOOK_REPLAY',
    // a message delivered again whose firing (and run) was recorded before: acked, no second run
    'MESSAGE_DUPLICATE',
    // a start whose idempotency key belongs to a run of another workflow or other inputs (a
    // key names one request); following a run of the key whose process is gone (interrupted)
    'RUN_IDEMPOTENCY_CONFLICT',
    'RUN_IDEMPOTENCY_INTERRUPTED',
    // `baton schedule rm` of a schedule a workflow file declares (pause it, or edit the file)
    'SCHEDULE_IN_FILE',
    // starting a run created to be started later (engine createRun) that has started already
    'RUN_ALREADY_STARTED',
    // starting or resuming a run that waits in the queue for its turn (runs/admission.ts)
    'RUN_QUEUED',
    // `baton skills new` of a skill that exists
    'SKILL_EXISTS',
    // `baton export -o FILE` of a file that exists, without --force
    'EXPORT_EXISTS',
    // `baton create`/`generate` of a file that exists, without --force
    'TEMPLATE_EXISTS',
    'RUN_FINISHED',
    'RUN_HELD',
    // `baton retry` of a run whose succeeded tasks were undone (engine/compensation.ts)
    'RUN_COMPENSATED',
    'RUN_NOTHING_TO_RETRY',
    'RUN_NOT_FINISHED',
    'RUN_NOT_CODE',
    'RUN_TAKEN_OVER',
    'STORE_RUN_EXISTS',
    // a new run whose idempotency key another run holds (store/idempotency.ts): the engine
    // answers with that run, so a person sees it only from a store used directly
    'STORE_IDEMPOTENCY_KEY_HELD',
    // a token id made twice (60 random bits clashed: make another)
    'STORE_TOKEN_EXISTS',
    // an append by a process whose claim on the run was taken over (its fence is old), or
    // that expected another last event: nothing was recorded
    'STORE_LEASE_LOST',
    'STORE_SEQ_CONFLICT',
  ],
  unavailable: [
    // baton serve stopping (it takes no new runs), or unable to listen on its port; a
    // webhook whose secret_env names a variable the server's environment does not set
    'SERVER_STOPPING',
    'WEBHOOK_SECRET_UNSET',
    'SERVER_LISTEN',
    // `baton serve` without a build of the web UI (dist/ui): npm run build makes it (server/ui-static.ts)
    'UI_NOT_BUILT',
    // the CLI's --server: no answer from that URL (refused, no such host, timed out), or an
    // answer that is not baton's JSON (runs/remote-client.ts)
    'SERVER_UNREACHABLE',
    'SERVER_BAD_ANSWER',
    // a run's spans that the OTLP collector refused or could not be sent to (said on stderr; the run is not affected)
    'TRACING_EXPORT',
    // bubblewrap is missing, or cannot make a sandbox on this machine: a run that asks for
    // one refuses to start (never runs unsandboxed)
    'SANDBOX_UNAVAILABLE',
    // SIGTERM or SIGHUP stopped the process driving a run (the CLI exits 128 + the signal)
    'RUN_INTERRUPTED',
    // `baton step` in a script whose baton process is gone (killed): resume the run
    'STEP_SERVER_GONE',
    // no folder gives the step socket a path short enough (TMPDIR too long)
    'STEP_SOCKET_PATH',
    // `baton mcp` could not start a baton process for a run, or it exited before recording the run
    'RUN_LAUNCH',
    'RUN_NOT_STARTED',
    'STORE_BUSY',
    'STORE_CANT_OPEN',
    'STORE_CORRUPT',
    'STORE_DISK_FULL',
    'STORE_DRIVER',
    'STORE_IO',
    'STORE_READONLY',
    'STORE_SCHEMA_TOO_NEW',
    'STORE_SQLITE',
    'STORE_UNSUPPORTED',
    // a PostgreSQL store: the server cannot be reached (down, restarting, wrong host), or
    // answered with an error baton has no better code for
    'STORE_UNAVAILABLE',
    'STORE_POSTGRES',
  ],
  internal: [
    // a code run reached a front end that was not given a way to load code
    'RUN_CODE_UNSUPPORTED',
    // `baton step` and the baton running the script disagree on their protocol (two
    // installs), or this copy of baton has no bin/baton.js for scripts to call
    'STEP_PROTOCOL',
    'STEP_NO_LAUNCHER',
    // this copy of baton has no templates/ folder, or a template baton cannot rename
    'TEMPLATE_MISSING',
    'TEMPLATE_BROKEN',
    // the engine found no task it could start: a bug in planning
    'ENGINE_STUCK',
    // validation lets no unknown task type through, so reaching the executor is a bug
    'EXEC_UNKNOWN_TYPE',
    // a skill task, or a child run of code, driven by something that cannot run them (a
    // front end that passed no skill catalog or code loader): a bug
    'EXEC_NO_SKILLS',
    'EXEC_NO_CHILD_RUNS',
    // a worker was handed an attempt its run's events do not have: a bug
    'WORK_UNKNOWN_ATTEMPT',
    // a worker built without a code loader was handed a remote step of a code run: a bug
    'WORK_NO_PROGRAMS',
    'RUN_CHILD_CODE',
    // a run's log has no RunCreated event: its history was damaged outside baton
    'RUN_NO_SNAPSHOT',
    'SPEC_INTERNAL',
    'UNKNOWN',
  ],
};
