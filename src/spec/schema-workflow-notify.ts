/**
 * The file fields of the workflow (child run) and notify task types, spread into the one
 * task schema of schema.ts (`inputs` is shared with script tasks). normalize-workflow.ts and
 * normalize-notify.ts check what a schema cannot say.
 */
import { z } from 'zod';
import { envMap, expected, str, strict } from './schema-kit.js';

/** An environment variable's name, as `secret_env` and `url_env` take it. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envName = (description: string) =>
  z.string(expected('expected an environment variable name')).regex(ENV_NAME, { error: 'expected an environment variable name (letters, digits, _)' }).describe(description);

/** An inline webhook: what `notify:` holds when it is not a channel's name. */
const webhook = strict({
  url: str("Notify: the webhook's URL. A URL holding a token belongs in a secret: \"${ secrets.HOOK_URL }\". May use ${ } templates."),
  secret_env: envName('Notify: the environment variable holding the key the body is signed with (HMAC-SHA256, X-Baton-Signature). Default: not signed.'),
  secret: str('Notify: the signing key as a template over secrets ("${ secrets.HOOK_KEY }"), instead of secret_env; never written in clear.'),
  headers: envMap('Notify: more request headers. May use ${ } templates.'),
}).partial();

export const workflowNotifyFields = {
  workflow: str(
    "Workflow: the file run as a child run (a workflow file, a TypeScript workflow or a script), relative to this file's folder; no templates. Implies type: workflow. Its `outputs:` are this task's outputs.",
  ),
  notify: z
    .union([z.string(), webhook], expected('expected a channel name, or a webhook {url, secret_env, headers}'))
    .describe("Notify: where the message goes: the name of a channel of baton.config.yaml's notifications.channels, or a webhook {url, secret_env | secret, headers}. Implies type: notify. Approval: who is told, once, that it waits (the prompt and how to answer)."),
  message: str("Notify: the text sent (JSON field `text`), a template over the run's scope."),
};
