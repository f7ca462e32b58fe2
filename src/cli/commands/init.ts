import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BatonError } from '../../observability/errors.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { findTemplate, listTemplates, renderTemplate, shellWord, writeNewFile } from '../templates.js';

interface InitFlags {
  /** `--force`: overwrite the files init writes when they exist; default false (skip them). */
  force?: boolean;
  /** `--json`: print what was done as JSON; default false. */
  json?: boolean;
}

type Action = 'wrote' | 'overwrote' | 'skipped' | 'created' | 'appended' | 'unchanged';

/**
 * Every setting of baton.config.yaml (src/config/settings.ts), commented out with its
 * default, so the file marks the project's root and changes nothing until edited. The
 * templates test uncomments them all and checks the file still loads.
 */
export const CONFIG_TEXT = `# baton's settings for this project (docs/configuration.md). This file marks the
# project's root: baton finds it from any folder below. Every setting is optional; each
# is shown commented out with its default: uncomment a line to change it.

# Where runs are kept: a SQLite file (relative to this file), a PostgreSQL URL
# (postgres://user@host/db, the password in PGPASSWORD rather than here: see
# docs/postgres.md), or \`memory\`. Default .baton/baton.db; --store and BATON_STORE win.
# store: .baton/baton.db

# More folders of skills, searched after skills/ and .agents/skills/.
# skills: [../team-skills]

# \`baton run -\` (a workflow or script read from standard input): its time limit when it
# sets none, and the kinds of file it accepts (default: every kind).
# scripts:
#   timeout: 300s
#   allowed_extensions: [.sh, .py, .ts, .yaml]

# The most a run reports back: its summary, and a code step's result (bytes).
# limits:
#   summary_bytes: 4096
#   step_result_bytes: 1048576

# Run ad-hoc and skill scripts sandboxed: \`off\`, or \`workspace-write\` (the project
# writable, the rest read-only, no network unless network: true).
# sandbox:
#   mode: off
#   network: false
#   writable: []

# What agents may do over \`baton mcp\`: answer approvals (a person does by default).
# mcp:
#   approvals: false

# Named resource pools and how many tasks may hold each at once: a task with
# \`resources: [db-migrations]\` starts only once it holds all it asks for, whichever run
# of the project (sharing its store) holds them now. Default: none.
# resources:
#   db-migrations: 1
#   gpu: 2

# Circuit breakers tasks name with \`circuit: payments\` (a workflow's own circuits: win):
# after \`failures\` failed attempts within \`window\` it opens, and the tasks naming it fail
# at once (CIRCUIT_OPEN) for \`open_for\`, then \`probes\` attempts try. Default: none.
# circuits:
#   payments: {failures: 3, window: 1m, open_for: 30s, probes: 1}

# Named channels notices are sent to (\`notify: ops\`): a webhook (the default type), slack,
# email or a command. Secrets (a URL with a token, a signing key, a password) come from an
# environment variable (*_env) or a file (*_file) where the notice is sent, never from here.
# Default: none.
# notifications:
#   channels:
#     ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}
#     team: {type: slack}   # the URL from SLACK_WEBHOOK_URL
#     oncall: {type: email, to: [oncall@example.com], from: baton@example.com, url_env: SMTP_URL}
#     pager: {type: command, command: [./scripts/page.sh]}
#   defaults: {channels: [team], on_failure: true}   # for workflows with no notifications: of their own
#   wait: 10s                                        # how long baton run waits for its run's notices

# Alerts read at the end of every workflow's runs (docs/observability.md#alerts): when the
# condition holds, the template goes to the channels, once per window. Default: none.
# alerts: [{name: flaky, condition: "metrics.runs >= 10 && metrics.success_rate < 90", channels: [team], window: 6h}]

# How long a run holds the idempotency key it was started with (baton run
# --idempotency-key, the API, triggers): a start with the key within it gets that run.
# idempotency:
#   retention: 24h

# Runs started on this store (by baton run and baton serve): at most this many running at
# once; the rest wait as \`queued\`, highest priority first. Default: no limit.
# server:
#   max_running: 8
#   metrics: {auth: true}   # baton serve's /metrics for Prometheus needs a token that reads
#   public_url: https://baton.example.com   # notifications link runs there

# OpenTelemetry traces of runs (a span per attempt), sent over OTLP/HTTP when a run ends.
# The OTEL_EXPORTER_OTLP_* variables win over this. Default: off.
# tracing:
#   endpoint: http://localhost:4318
`;

const SKILLS_README = `# Skills

This project's skills, in the Agent Skills format: one folder per skill, named after it,
holding a SKILL.md. \`baton skills new <name>\` makes one; \`baton skills list\`,
\`baton skills search "<words>"\` and \`baton skills show <name>\` find them;
\`baton skill run <name>\` runs one. See baton's docs/skills.md.
`;

/** The lines of .gitignore that already keep `.baton/` out. */
const IGNORES_HOME = new Set(['.baton', '.baton/', '/.baton', '/.baton/', '.baton/*', '/.baton/*', '.baton/**', '/.baton/**']);

/**
 * `baton init [dir]`: a project in `dir` (default: here): baton.config.yaml, `.baton/` in
 * .gitignore, a skills/ folder, an example YAML and an example TypeScript workflow. Files
 * that exist are skipped (listed) unless --force; .gitignore is only ever appended to.
 */
export default async function init(dirArg: string | undefined, flags: InitFlags): Promise<number> {
  const dir = path.resolve(dirArg ?? '.');
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new BatonError('TEMPLATE_WRITE', `cannot make a project in ${dir}: it is a file, not a folder`, { details: { dir } });
  }
  mkdirSync(dir, { recursive: true });
  const templates = listTemplates();
  const force = flags.force === true;
  const files: Array<{ file: string; action: Action }> = [];
  const put = (name: string, text: string) => {
    const file = path.join(dir, name);
    if (existsSync(file) && !force) files.push({ file: name, action: 'skipped' });
    else files.push({ file: name, action: writeNewFile(file, text, force).action });
  };
  // The other spelling counts as the config: writing both would make the project ambiguous (CONFIG_AMBIGUOUS).
  if (existsSync(path.join(dir, 'baton.config.yml'))) files.push({ file: 'baton.config.yml', action: 'skipped' });
  else put('baton.config.yaml', CONFIG_TEXT);
  files.push({ file: '.gitignore', action: ignoreHome(path.join(dir, '.gitignore')) });
  put(path.join('skills', 'README.md'), SKILLS_README);
  put('hello.yaml', renderTemplate(findTemplate('hello', templates), { file: 'hello.yaml' }));
  put('hello.ts', renderTemplate(findTemplate('hello-ts', templates), { file: 'hello.ts' }));

  const here = path.relative(process.cwd(), dir);
  const next = here === '' ? 'baton run hello.yaml' : `cd ${shellWord(here)} && baton run hello.yaml`;
  if (flags.json) {
    process.stdout.write(JSON.stringify({ dir, files, next }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [`baton project in ${visible(dir)}:`];
  for (const { file, action } of files) lines.push(`  ${action.padEnd(9)}  ${visible(file)}${note(file, action)}`);
  if (!force && files.some((f) => f.action === 'skipped')) lines.push('Files that exist were left as they are (--force overwrites them).');
  lines.push(`Next: ${visible(next)}   (then baton run hello.ts; more workflows: baton create --list)`);
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

/** Adds `.baton/` to a .gitignore (creating it) unless a line already ignores it. */
function ignoreHome(file: string): Action {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BatonError('TEMPLATE_WRITE', `cannot read ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
    }
  }
  if (text !== undefined && text.split(/\r?\n/).some((line) => IGNORES_HOME.has(line.trim()))) return 'unchanged';
  const entry = "# baton's run data (the store, logs, scratch files)\n.baton/\n";
  const before = text === undefined || text === '' || text.endsWith('\n') ? '' : '\n';
  try {
    writeFileSync(file, (text ?? '') + before + entry);
  } catch (error) {
    throw new BatonError('TEMPLATE_WRITE', `cannot write ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  return text === undefined ? 'created' : 'appended';
}

function note(file: string, action: Action): string {
  if (file !== '.gitignore') return '';
  return action === 'unchanged' ? ' (already ignores .baton/)' : ' (.baton/ added)';
}
