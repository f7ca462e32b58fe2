/**
 * The workflow model's leaf tasks that talk to other systems (a broker, a container engine,
 * files of records, a database, another workflow, a notification channel) and the tasks that
 * wait for a person or an event. Part of spec/model.ts, which re-exports every type here;
 * import them from there.
 */
import type { Duration, TaskBase } from './model.js';

/**
 * `type: publish`: one message to a broker (executors/publish.ts), succeeding once the
 * broker confirmed it. Where it goes is said in the broker's words: `subject` (NATS
 * JetStream), `exchange` and/or `routing_key` (AMQP), `topic` (MQTT).
 */
export interface PublishTask extends TaskBase {
  type: 'publish';
  /** nats://, amqp://, amqps://, mqtt:// or mqtts://; usually a template (`${ secrets.BROKER_URL }`). */
  url: string;
  subject?: string;
  /** Default "" (the default exchange, where the routing key is a queue's name). */
  exchange?: string;
  routing_key?: string;
  topic?: string;
  /** A string is sent as is; anything else as JSON (content type application/json). Default: empty. */
  body?: unknown;
  headers: Record<string, string>;
  /** Default: the task's idempotency key (`runId/taskKey`), the same on every attempt. */
  message_id?: string;
  /** MQTT: default 1. */
  qos?: 0 | 1 | 2;
  /** MQTT: default false. */
  retain?: boolean;
  /** AMQP: default true. */
  persistent?: boolean;
}

/** `type: docker` that builds an image: `docker build`, then `docker push` of each tag when `push`. */
export interface DockerBuildTask extends TaskBase {
  type: 'docker';
  action: 'build';
  /** The build context folder, relative to the workflow file's folder; default `.`. */
  context: string;
  /** The Dockerfile, relative to the workflow file's folder; default docker's (`Dockerfile` in the context). */
  dockerfile?: string;
  tags: string[];
  build_args: Record<string, string>;
  /** The stage of a multi-stage Dockerfile to build; default the last. */
  target?: string;
  platform?: string;
  /** Push every tag once built; default false. */
  push: boolean;
}

/** `type: docker` that runs a container: `docker run`, in the foreground, named after the attempt. */
export interface DockerRunTask extends TaskBase {
  type: 'docker';
  action: 'run';
  image: string;
  /** Arguments after the image; a string in the file was split into words (normalize-docker.ts). Default: the image's CMD. */
  command?: string[];
  /** Replaces the image's ENTRYPOINT; default the image's. */
  entrypoint?: string;
  /** The container's environment (the docker CLI's own is `environment`). */
  env: Record<string, string>;
  /** `host:container[:options]`, or a container path alone (an anonymous volume). */
  volumes: string[];
  network?: string;
  workdir?: string;
  user?: string;
  platform?: string;
  /** Remove the container when it ends; default true. */
  rm: boolean;
  /** When to pull the image; default docker's (`missing`). */
  pull?: 'always' | 'missing' | 'never';
}

export type DockerTask = DockerBuildTask | DockerRunTask;

/** How a data_processor reads records from a file, or writes them: see docs/executors.md#data_processor. */
export type RecordFormat = 'json' | 'jsonl' | 'lines';

/** `type: data_processor`: records of the input files streamed through a processor into one output file. */
export interface DataProcessorTask extends TaskBase {
  type: 'data_processor';
  input: {
    /** Globs (or plain paths), relative to the workflow file's folder. */
    paths: string[];
    /** Default: from each file's extension (.json json, .jsonl/.ndjson jsonl, else lines). */
    format?: RecordFormat;
    /** No matching file gives an empty output instead of failing (DATA_NO_INPUT); default false. */
    allow_empty: boolean;
  };
  processor: {
    /** shell: `command` run by `sh -c`; the others run `script` or inline `code`. */
    type: 'javascript' | 'typescript' | 'python' | 'shell';
    /** A file, relative to the workflow file's folder ... */
    script?: string;
    /** ... or inline source ... */
    code?: string;
    /** ... or, for shell, a command line. */
    command?: string;
    args: string[];
    /** One process per input file rather than one for all; default false. */
    per_file: boolean;
  };
  output: {
    /** One file, relative to the workflow file's folder; written whole or not at all. */
    path: string;
    /** Default: from the extension, as for input. */
    format?: RecordFormat;
  };
}

/**
 * `type: sql` (seed 004's `type: database`): one query, a .sql file, or a folder of
 * migrations, against PostgreSQL, MySQL/MariaDB or SQLite (executors/sql/). Values reach
 * the database only through `params`, bound by its driver: `query` holds no templates.
 */
export interface SqlTask extends TaskBase {
  type: 'sql';
  /** postgres://, postgresql://, mysql://, mariadb://, sqlite:PATH, or a PATH ending .db/.sqlite/.sqlite3 (relative to the workflow's folder); usually a template. */
  connection: string;
  /** SQL, sent as written: one statement with `params`, or several without ... */
  query?: string;
  /** ... or a .sql file holding it (relative to the workflow's folder; templates allowed) ... */
  file?: string;
  /** ... or a folder of numbered .sql files applied in name order, each once (`migrations_path` in the seed); exactly one of the three. */
  migrations?: string;
  /** Values bound to the placeholders: a list ($1 / ?) or name -> value (`:name`); strings may be templates. */
  params?: unknown[] | Record<string, unknown>;
  /** Migrations: a failure rolls back every migration of the attempt (true), or only the failing one (false); default true. */
  rollback_on_failure: boolean;
  /** Rows kept in the outputs (the rest are counted); default 1000 (and at most about 1 MB of them). */
  max_rows: number;
}

/**
 * `type: workflow`: another workflow file (or a TypeScript workflow, or a script) run as a
 * child run (engine/workflow-run.ts); its `outputs:` are this task's outputs.
 */
export interface WorkflowTask extends TaskBase {
  type: 'workflow';
  /** The child's file, relative to this workflow file's folder; no templates, so it is checked at load time. */
  workflow: string;
  /** The child's inputs, checked against what it declares; strings may hold templates over this run's scope. */
  inputs: Record<string, unknown>;
}

/**
 * `type: notify`: one message sent to a channel (executors/notify.ts): a webhook written on
 * the task, or a channel of baton.config.yaml named by `channel`; exactly one of the two.
 */
export interface NotifyTask extends TaskBase {
  type: 'notify';
  /** A channel of baton.config.yaml's `notifications.channels` ... */
  channel?: string;
  /** ... or a webhook's URL (a template; usually `${ secrets.NAME }` when it holds a token). */
  url?: string;
  /** The environment variable holding the key the body is signed with (HMAC-SHA256); default: not signed. */
  secret_env?: string;
  /** The key as a template over `secrets` (`${ secrets.HOOK_KEY }`), never a literal; instead of secret_env. */
  secret?: string;
  /** More request headers (templates). */
  headers: Record<string, string>;
  /** The text sent, a template over the run's scope. */
  message: string;
}

/** A named notification channel (baton.config.yaml `notifications.channels`): spec/notify-channels.ts. */

/** Where a notification goes: a named channel of baton.config.yaml, or a webhook written on the task. */
export interface NotifyTarget {
  channel?: string;
  url?: string;
  secret_env?: string;
  secret?: string;
  headers: Record<string, string>;
}

/**
 * `type: approval`: the run waits for a person's yes or no (engine/waits.ts), as
 * `ctx.approval` does in code: `baton approve` / `--reject`, the API or MCP answer it. A
 * rejection fails the task with APPROVAL_REJECTED; its `timeout` is how long it waits.
 */
export interface ApprovalTask extends TaskBase {
  type: 'approval';
  /** The question, a template over the run's scope; default `approve <task>?`. */
  prompt?: string;
  /** Who may answer: user names (an OS user on a local store, a token's name on a server) or `role:NAME`; at least one. */
  approvers: string[];
  /** What its `timeout` does: `reject` (default) fails it with APPROVAL_TIMEOUT, `approve` succeeds with `timed_out: true`. */
  on_timeout: 'approve' | 'reject';
  /** Who is told it waits (once, when it opens), as a notify task's `notify`; default nobody. */
  notify?: NotifyTarget;
}

/**
 * `type: wait`: until a time (`until`, `duration`), or for an event (`baton emit NAME`) that
 * its `filter` is true for, for at most its `timeout` (then EVENT_TIMEOUT).
 */
export interface WaitTask extends TaskBase {
  type: 'wait';
  /** A time, ISO 8601 (a template) ... */
  until?: string;
  /** ... or how long from when it starts ... */
  duration?: Duration;
  /** ... or the name of an event; exactly one of the three. */
  event?: string;
  /** With `event`: a condition over `event` (its `name` and `data`) and the run's inputs and tasks; default: any such event. */
  filter?: string;
}

/** Tasks that run nothing and wait (engine/waits.ts): no executor, no attempt slot. */
export type WaitingTask = ApprovalTask | WaitTask;

