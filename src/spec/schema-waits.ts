/**
 * The file fields of the approval and wait task types, spread into the one task schema of
 * schema.ts (`notify` is shared with notify tasks, `duration` with sleep tasks, `timeout`
 * is every task's). normalize-waits.ts checks what a schema cannot say.
 */
import { z } from 'zod';
import { expected, str } from './schema-kit.js';

export const waitFields = {
  prompt: str('Approval: the question shown to approvers (baton status, the API, a notification). May use ${ } templates. Default "approve <task>?".'),
  approvers: z
    .union([z.string(), z.array(z.string(expected('expected a user name or role:NAME')))], expected('expected a user name, role:NAME, or a list of them'))
    .describe('Approval: who may answer it, at least one: user names (the OS user of baton approve on a local store; a token\'s name on a server) or role:NAME (anyone holding that role: viewer, operator, approver, admin).'),
  on_timeout: z
    .enum(['approve', 'reject'], { error: 'expected approve or reject' })
    .describe('Approval: what its `timeout` does: reject (fails it with APPROVAL_TIMEOUT) or approve (it succeeds, timed_out: true). Default reject.'),
  until: str('Wait: the time to wait until, ISO 8601 (2030-01-01T09:00:00Z). May use ${ } templates.'),
  event: str('Wait: the name of the event to wait for (baton emit NAME, POST /api/events/NAME); `timeout` bounds the wait (then EVENT_TIMEOUT).'),
  filter: str("Wait for an event: a condition over `event` (its name and data) and the run's inputs and tasks; only events it is true for end the wait, e.g. event.data.order == inputs.order."),
};
